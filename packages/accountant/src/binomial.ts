/**
 * Binomial tails and the Clopper-Pearson bound that the privacy audits test against, through the
 * regularized incomplete beta function and its inverse (P[Binomial(n, p) >= k] = I_p(k, n - k + 1)).
 */
import betainc from '@stdlib/math-base-special-betainc';
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import binomialLogPmfStdlib from '@stdlib/stats-base-dists-binomial-logpmf';

/** `P[Binomial(trials, probability) >= successes]`. */
export function binomialSf(successes: number, trials: number, probability: number): number {
  if (successes <= 0) return 1;
  if (successes > trials) return 0;
  return betainc(probability, successes, trials - successes + 1);
}

/** `log P[Binomial(trials, probability) = successes]`. */
export const binomialLogPmf: (successes: number, trials: number, probability: number) => number =
  binomialLogPmfStdlib;

/**
 * The success probability `p` at which `P[Binomial(trials, p) >= successes] = tail`: the largest `p`
 * whose upper tail at `successes` is at most `tail` (the tail increases with `p`).
 */
export function binomialSfInverse(successes: number, trials: number, tail: number): number {
  if (successes <= 0) return 0;
  return betaQuantile(tail, successes, trials - successes + 1);
}

/**
 * One-sided Clopper-Pearson upper confidence bound on a binomial rate: the `p` with
 * `P[Binomial(trials, p) <= successes] = 1 - confidence`, so that the true rate is below it with
 * probability at least `confidence`.
 */
export function clopperPearsonUpper(successes: number, trials: number, confidence: number): number {
  if (successes >= trials) return 1;
  return betaQuantile(confidence, successes + 1, trials - successes);
}

/** `log(p / (1 - p))`, the epsilon of randomized response that answers correctly with probability `p`. */
export function logit(probability: number): number {
  return Math.log(probability) - Math.log1p(-probability);
}
