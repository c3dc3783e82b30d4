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
