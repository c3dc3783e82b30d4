import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import kstest from '@stdlib/stats-kstest';

/**
 * Helpers for the goodness-of-fit suites. Every test using them states its significance level; with fixed seeds
 * the outcome is deterministic, so a failure means the distribution changed, not bad luck.
 */

/** Pearson chi-square statistic and its upper-tail p-value for observed counts against expected counts. */
export function chiSquareTest(
  observed: ArrayLike<number>,
  expected: ArrayLike<number>,
  fittedParameters = 0,
) {
  if (observed.length !== expected.length) throw new Error('observed and expected differ in length');
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    const d = observed[i]! - e;
    statistic += (d * d) / e;
  }
  const degreesOfFreedom = observed.length - 1 - fittedParameters;
  return { statistic, degreesOfFreedom, pValue: 1 - chisquareCdf(statistic, degreesOfFreedom) };
}

/** One-sample Kolmogorov-Smirnov test against N(0, standardDeviation²). */
export function ksNormal(
  sample: ArrayLike<number>,
  standardDeviation = 1,
): { statistic: number; pValue: number } {
  const result = kstest(Array.from(sample), 'normal', 0, standardDeviation);
  return { statistic: result.statistic, pValue: result.pValue };
}

/** One-sample Kolmogorov-Smirnov test against U(0, 1). */
export function ksUniform(sample: ArrayLike<number>): { statistic: number; pValue: number } {
  const result = kstest(Array.from(sample), 'uniform', 0, 1);
  return { statistic: result.statistic, pValue: result.pValue };
}

/**
 * Chi-square test of integer observations against Binomial(trials, probability), with adjacent values pooled
 * from the left until every pooled bin expects at least 5 observations (the last bin also takes the upper tail).
 */
export function binomialChiSquare(values: ArrayLike<number>, trials: number, probability: number) {
  const counts = new Array<number>(trials + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[values[i]!]!++;
  const n = values.length;
  const observed: number[] = [];
  const expected: number[] = [];
  let pooledObserved = 0;
  let pooledLower = -1;
  let k = 0;
  for (; k <= trials; k++) {
    pooledObserved += counts[k]!;
    const below = binomialCdf(k, trials, probability);
    const mass = below - (pooledLower < 0 ? 0 : binomialCdf(pooledLower, trials, probability));
    if (mass * n >= 5) {
      observed.push(pooledObserved);
      expected.push(mass * n);
      pooledObserved = 0;
      pooledLower = k;
    }
    // Stop once the rest of the support expects fewer than 5 observations: it joins the last bin below.
    if ((1 - below) * n < 5) break;
  }
  for (k++; k <= trials; k++) pooledObserved += counts[k]!;
  const tail = 1 - binomialCdf(pooledLower, trials, probability);
  observed[observed.length - 1]! += pooledObserved;
  expected[expected.length - 1]! += tail * n;
  return chiSquareTest(observed, expected);
}
