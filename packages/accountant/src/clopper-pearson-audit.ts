/**
 * Epsilon lower bound of the classic multi-run audit (Jagielski, Ullman & Oprea 2020; Nasr et al.
 * 2021): train many times with and without a canary, run a membership test on each model, and bound
 * its error rates. Any test against an (epsilon, delta)-DP mechanism satisfies
 * `FPR + e^epsilon FNR >= 1 - delta` and `e^epsilon FPR + FNR >= 1 - delta` (Kairouz, Oh &
 * Viswanath 2015), so upper confidence bounds on both rates give a lower bound on epsilon.
 */
import { clopperPearsonUpper } from './binomial';
import { MAX_AUDIT_EPSILON } from './one-run-audit';
import { assertInRange, assertInteger } from './validate';

/** Options of {@link clopperPearsonEpsilonLowerBound}. */
export interface ClopperPearsonEpsilonLowerBoundOptions {
  /** Runs without the canary that the test called "in", an integer in `[0, negatives]`. */
  readonly falsePositives: number;
  /** Runs without the canary, an integer >= 1. */
  readonly negatives: number;
  /** Runs with the canary that the test called "out", an integer in `[0, positives]`. */
  readonly falseNegatives: number;
  /** Runs with the canary, an integer >= 1. */
  readonly positives: number;
  /** The delta of the null hypothesis, in `[0, 1)`. */
  readonly delta: number;
  /** Confidence of the bound, in `(0, 1)`; split evenly between the two rates (union bound). */
  readonly confidence: number;
}

/**
 * Lower bound on epsilon from the false positives and false negatives of a membership test over
 * repeated runs: with one-sided Clopper-Pearson upper bounds FPR+ and FNR+ (each at confidence
 * `1 - (1 - confidence) / 2`, so that both hold together with probability `confidence`),
 * `max(log((1 - delta - FPR+) / FNR+), log((1 - delta - FNR+) / FPR+), 0)`.
 *
 * @example
 * ```ts
 * clopperPearsonEpsilonLowerBound({
 *   falsePositives: 5, negatives: 500, falseNegatives: 100, positives: 500, delta: 1e-5, confidence: 0.95,
 * });
 * ```
 */
export function clopperPearsonEpsilonLowerBound(options: ClopperPearsonEpsilonLowerBoundOptions): number {
  const { falsePositives, negatives, falseNegatives, positives, delta, confidence } = options;
  assertInteger('negatives', negatives, 1);
  assertInteger('positives', positives, 1);
  assertInteger('falsePositives', falsePositives, 0, negatives);
  assertInteger('falseNegatives', falseNegatives, 0, positives);
  assertInRange('delta', delta, { min: 0, max: 1, maxExclusive: true });
  assertInRange('confidence', confidence, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  const eachConfidence = 1 - (1 - confidence) / 2;
  const falsePositiveRate = clopperPearsonUpper(falsePositives, negatives, eachConfidence);
  const falseNegativeRate = clopperPearsonUpper(falseNegatives, positives, eachConfidence);
  // A numerator <= 0 makes that inequality vacuous: it then contributes nothing.
  const bound = (numerator: number, denominator: number) =>
    numerator > 0 ? Math.log(numerator) - Math.log(denominator) : 0;
  const epsilon = Math.max(
    0,
    bound(1 - delta - falsePositiveRate, falseNegativeRate),
    bound(1 - delta - falseNegativeRate, falsePositiveRate),
  );
  return Math.min(epsilon, MAX_AUDIT_EPSILON);
}
