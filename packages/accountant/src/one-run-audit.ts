/**
 * Epsilon lower bound of the one-run privacy audit (Steinke, Nasr & Jagielski, "Privacy Auditing
 * with One (1) Training Run", NeurIPS 2023): m canaries, each included with probability 1/2, an
 * auditor that guesses inclusion for r of them and gets v right. Under (epsilon, 0)-DP the number of
 * correct guesses is stochastically dominated by Binomial(r, e^epsilon / (1 + e^epsilon)); under
 * (epsilon, delta)-DP the paper adds 2 m delta times the largest average point mass just below v
 * (its Theorem for delta > 0, evaluated as in its appendix D).
 */
import { binomialLogPmf, binomialSf, binomialSfInverse, logit } from './binomial';
import { assertInRange, assertInteger } from './validate';

/** Options of {@link oneRunEpsilonLowerBound}. */
export interface OneRunEpsilonLowerBoundOptions {
  /** Number of guesses r (canaries the auditor did not abstain on), an integer >= 1. */
  readonly guesses: number;
  /** Number of correct guesses v, an integer in `[0, guesses]`. */
  readonly correct: number;
  /** The delta of the null hypothesis, in `[0, 1)`; 0 gives the exact pure-DP bound. */
  readonly delta: number;
  /** Confidence of the bound, in `(0, 1)`, e.g. 0.95. */
  readonly confidence: number;
  /**
   * Number of canaries m (included or not), an integer >= `guesses`. Required when `delta > 0`,
   * where the bound pays 2 m delta; unused when `delta = 0`.
   */
  readonly canaries?: number;
}

/** Largest epsilon the audits report: beyond it `e^epsilon / (1 + e^epsilon)` is 1 in double precision. */
export const MAX_AUDIT_EPSILON = 36;

/** `1 / (1 + e^-epsilon)`: how often epsilon-DP randomized response answers correctly. */
function accuracyOf(epsilon: number): number {
  return 1 / (1 + Math.exp(-epsilon));
}

/**
 * The paper's p-value of observing at least `correct` right guesses under (epsilon, delta)-DP:
 * `P[Binomial(r, q) >= v] + 2 m delta max_{1 <= i <= v} P[v - i <= Binomial(r, q) < v] / i`, q the
 * accuracy of epsilon-DP randomized response, capped at 1.
 */
export function oneRunPValue(
  guesses: number,
  correct: number,
  canaries: number,
  epsilon: number,
  delta: number,
): number {
  const q = accuracyOf(epsilon);
  const tail = binomialSf(correct, guesses, q);
  if (delta === 0 || correct === 0) return Math.min(1, tail);
  // Point masses below v by the ratio pmf(k - 1) / pmf(k) = k / (r - k + 1) * (1 - q) / q, in logs
  // so that a mass that underflows does not zero the ones after it.
  const logOdds = Math.log1p(-q) - Math.log(q);
  let logMass = binomialLogPmf(correct - 1, guesses, q);
  let below = 0;
  let average = 0;
  for (let i = 1; i <= correct; i++) {
    // The sum never exceeds 1, so no later i can beat average once 1 / i <= average.
    if (1 / i <= average) break;
    const k = correct - i;
    below += Math.exp(logMass);
    average = Math.max(average, below / i);
    if (k > 0) logMass += Math.log(k) - Math.log(guesses - k + 1) + logOdds;
  }
  return Math.min(1, tail + 2 * canaries * delta * average);
}

/**
 * Lower bound on epsilon from a one-run audit (Steinke, Nasr & Jagielski 2023): the largest epsilon
 * that the observed guesses reject at the given confidence, i.e. with p-value at most
 * `1 - confidence`, or 0 when even epsilon = 0 explains them.
 *
 * For `delta = 0` this is exact: the largest epsilon with
 * `P[Binomial(guesses, e^epsilon / (1 + e^epsilon)) >= correct] <= 1 - confidence`, from the inverse
 * of the binomial tail. For `delta > 0` it follows the paper's (epsilon, delta) bound, which needs the
 * number of canaries. A lower bound above the claimed epsilon shows that the claim is wrong (with
 * probability at most `1 - confidence` of a false alarm); a bound below it proves nothing.
 *
 * @example
 * ```ts
 * oneRunEpsilonLowerBound({ guesses: 100, correct: 80, delta: 0, confidence: 0.95 }); // 0.9584...
 * ```
 */
export function oneRunEpsilonLowerBound(options: OneRunEpsilonLowerBoundOptions): number {
  const { guesses, correct, delta, confidence, canaries } = options;
  assertInteger('guesses', guesses, 1);
  assertInteger('correct', correct, 0, guesses);
  assertInRange('delta', delta, { min: 0, max: 1, maxExclusive: true });
  assertInRange('confidence', confidence, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  if (delta > 0 && canaries === undefined) {
    throw new RangeError('canaries is required when delta > 0 (the bound pays 2 * canaries * delta)');
  }
  if (canaries !== undefined) assertInteger('canaries', canaries, guesses);
  const failure = 1 - confidence;

  const pureBound = pureEpsilonLowerBound(guesses, correct, failure);
  if (delta === 0 || pureBound === 0) return pureBound;
  // The delta term only adds to the p-value, so the bound lies in [0, pureBound]. Bisection keeps
  // p(low) <= failure, so whatever is returned is rejected at the stated confidence.
  const pValue = (epsilon: number) => oneRunPValue(guesses, correct, canaries as number, epsilon, delta);
  if (pValue(0) > failure) return 0;
  let low = 0;
  let high = pureBound;
  for (let i = 0; i < 100 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = 0.5 * (low + high);
    if (pValue(mid) <= failure) low = mid;
    else high = mid;
  }
  return low;
}

/** The exact delta = 0 bound: the logit of the inverse binomial tail, nudged down if rounding put it above. */
function pureEpsilonLowerBound(guesses: number, correct: number, failure: number): number {
  if (binomialSf(correct, guesses, 0.5) > failure) return 0;
  // Past MAX_AUDIT_EPSILON the accuracy rounds to 1 in double precision; stopping there stays a lower bound.
  let epsilon = Math.min(MAX_AUDIT_EPSILON, logit(binomialSfInverse(correct, guesses, failure)));
  if (!(epsilon > 0)) return 0;
  for (let i = 0; i < 64 && binomialSf(correct, guesses, accuracyOf(epsilon)) > failure; i++) {
    epsilon -= Math.max(epsilon * 1e-14, Number.MIN_VALUE) * 2 ** i;
  }
  return Math.max(0, epsilon);
}
