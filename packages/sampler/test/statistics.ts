import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

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

/**
 * Upper tail of the Kolmogorov distribution, Q(λ) = 2 Σ_{k>=1} (-1)^(k-1) exp(-2 k² λ²).
 */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * One-sample Kolmogorov-Smirnov test against a continuous CDF: statistic D = sup |F_n - F| and the asymptotic
 * p-value Q((√n + 0.12 + 0.11/√n) D) (Stephens' small-sample correction, as in Numerical Recipes).
 */
export function ksTest(
  sample: ArrayLike<number>,
  cdf: (x: number) => number,
): { statistic: number; pValue: number } {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  let statistic = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    statistic = Math.max(statistic, (i + 1) / n - f, f - i / n);
  }
  const root = Math.sqrt(n);
  return { statistic, pValue: kolmogorovSurvival((root + 0.12 + 0.11 / root) * statistic) };
}

/** One-sample Kolmogorov-Smirnov test against N(0, standardDeviation²). */
export function ksNormal(
  sample: ArrayLike<number>,
  standardDeviation = 1,
): { statistic: number; pValue: number } {
  return ksTest(sample, (x) => normalCdf(x, 0, standardDeviation));
}

/** One-sample Kolmogorov-Smirnov test against U(0, 1). */
export function ksUniform(sample: ArrayLike<number>): { statistic: number; pValue: number } {
  return ksTest(sample, (x) => Math.min(1, Math.max(0, x)));
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
  return { ...chiSquareTest(observed, expected), observed, expected };
}
