/**
 * Renyi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019) and the
 * conversion of RDP curves to (epsilon, delta).
 *
 * RDP(alpha) = log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ N(0, sigma^2)}[(1 - q + q e^{(2z - 1)/(2 sigma^2)})^alpha].
 * Integer orders use the finite binomial expansion; fractional orders split the expectation at
 * z0 = sigma^2 ln(1/q - 1) + 1/2 and sum both binomial series with their signs (summing absolute
 * values would only give an upper bound, loose by up to about 3x at alpha < 2).
 */
import { logErfc } from './normal';

const LOG_HALF = Math.log(0.5);

/**
 * Orders of Opacus' default grid: 1.1 to 10.9 by 0.1, then the integers 12 to 63. With it this package
 * reproduces Opacus' epsilons exactly.
 */
export const OPACUS_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/**
 * The default, richer grid: orders close to 1 (for very large epsilons), 1.1 to 10.9 by 0.1, every
 * integer 11 to 64, then large orders up to 4096 (for very small epsilons and deltas). It contains
 * {@link OPACUS_RDP_ORDERS}, so its epsilons are never larger than Opacus' ones.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  1.001,
  1.002,
  1.005,
  1.01,
  1.02,
  1.03,
  1.05,
  1.075,
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 54 }, (_, i) => 11 + i),
  72,
  80,
  96,
  112,
  128,
  160,
  192,
  224,
  256,
  320,
  384,
  448,
  512,
  640,
  768,
  896,
  1024,
  1536,
  2048,
  3072,
  4096,
]);

/** `log(e^a + e^b)` without overflow. */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** `log A_alpha` for an integer order: the finite binomial sum, in log space. */
export function logAIntegerOrder(sampleRate: number, noiseMultiplier: number, order: number): number {
  const logQ = Math.log(sampleRate);
  const log1mQ = Math.log1p(-sampleRate);
  const inv2Var = 1 / (2 * noiseMultiplier * noiseMultiplier);
  const logTerms = new Float64Array(order + 1);
  let logBinomial = 0;
  let maxLog = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= order; i++) {
    if (i > 0) logBinomial += Math.log((order - i + 1) / i);
    const t = logBinomial + i * logQ + (order - i) * log1mQ + (i * i - i) * inv2Var;
    logTerms[i] = t;
    if (t > maxLog) maxLog = t;
  }
  let sum = 0;
  for (let i = 0; i <= order; i++) sum += Math.exp(logTerms[i]! - maxLog);
  return maxLog + Math.log(sum);
}

/** Most terms of a fractional-order series before its remainder is bounded instead of summed. */
const MAX_SERIES_TERMS = 5_000;

/**
 * `log A_alpha` for a fractional order: the two half-line binomial series, summed with their signs.
 * Past i > alpha the terms alternate in sign; once they also decrease in magnitude the remainder is
 * bounded by the last term (Leibniz), which is added to stay on the safe (upper) side.
 */
export function logAFractionalOrder(sampleRate: number, noiseMultiplier: number, order: number): number {
  const sigma = noiseMultiplier;
  const logQ = Math.log(sampleRate);
  const log1mQ = Math.log1p(-sampleRate);
  const inv2Var = 1 / (2 * sigma * sigma);
  const z0 = sigma * sigma * (Math.log1p(-sampleRate) - logQ) + 0.5;
  const scale = Math.SQRT1_2 / sigma;
  // Running sum in units of e^reference, rescaled when a larger term appears.
  let reference = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let logAbsBinomial = 0;
  let sign = 1;
  let previousMagnitude = Number.POSITIVE_INFINITY;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (order - i + 1) / i;
      logAbsBinomial += Math.log(Math.abs(factor));
      if (factor < 0) sign = -sign;
    }
    const j = order - i;
    const logS0 =
      logAbsBinomial + i * logQ + j * log1mQ + (i * i - i) * inv2Var + LOG_HALF + logErfc((i - z0) * scale);
    const logS1 =
      logAbsBinomial + j * logQ + i * log1mQ + (j * j - j) * inv2Var + LOG_HALF + logErfc((z0 - j) * scale);
    const logTerm = logAddExp(logS0, logS1);
    if (logTerm > reference) {
      sum *= Math.exp(reference - logTerm);
      if (!Number.isFinite(sum)) sum = 0;
      reference = logTerm;
    }
    const magnitude = Math.exp(logTerm - reference);
    sum += sign * magnitude;
    const alternating = i > order + 1;
    const decreasing = logTerm < previousMagnitude;
    previousMagnitude = logTerm;
    if (alternating && decreasing && (magnitude < 1e-11 * Math.abs(sum) || i >= MAX_SERIES_TERMS)) {
      // Remainder of an alternating series with decreasing terms is at most the next term <= this one.
      return reference + Math.log(sum + magnitude);
    }
    if (i >= 4 * MAX_SERIES_TERMS) {
      throw new RangeError(
        `fractional RDP series did not settle (sampleRate ${sampleRate}, noiseMultiplier ${sigma}, order ${order})`,
      );
    }
  }
}

/**
 * RDP at `order` of one step of the Poisson-subsampled Gaussian mechanism (rate `sampleRate`, noise
 * multiplier `noiseMultiplier`); `sampleRate = 1` gives the Gaussian `order / (2 sigma^2)`.
 */
export function rdpSampledGaussian(sampleRate: number, noiseMultiplier: number, order: number): number {
  if (sampleRate === 0) return 0;
  if (sampleRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logA = Number.isInteger(order)
    ? logAIntegerOrder(sampleRate, noiseMultiplier, order)
    : logAFractionalOrder(sampleRate, noiseMultiplier, order);
  // A_alpha >= 1 (Jensen); rounding can only push log A slightly below 0.
  return Math.max(0, logA) / (order - 1);
}

/**
 * RDP-to-DP conversion rule:
 * - `'tight'` (default): epsilon = RDP + ln(1 - 1/alpha) - (ln delta + ln alpha)/(alpha - 1)
 *   (Canonne, Kamath, Steinke 2020; Balle et al. 2020), the rule Opacus and dp_accounting use, plus
 *   epsilon = 0 when delta >= sqrt(1 - e^{-RDP}) (total variation bounded through Bretagnolle-Huber);
 * - `'classic'`: epsilon = RDP - ln(delta)/(alpha - 1) (Mironov 2017), looser, for comparisons.
 */
export type RdpConversion = 'tight' | 'classic';

/** Smallest epsilon over the orders for a composed RDP curve, never negative. */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
  conversion: RdpConversion = 'tight',
): number {
  const logDelta = Math.log(delta);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < orders.length; k++) {
    const order = orders[k]!;
    const r = rdp[k]!;
    if (!Number.isFinite(r)) continue;
    if (conversion === 'tight' && delta * delta + Math.expm1(-r) >= 0) return 0;
    const epsilon =
      conversion === 'tight'
        ? r + Math.log1p(-1 / order) - (logDelta + Math.log(order)) / (order - 1)
        : r - logDelta / (order - 1);
    if (epsilon < best) best = epsilon;
  }
  return Math.max(0, best);
}

/** Smallest delta over the orders at `epsilon` for a composed RDP curve (the inverse of {@link rdpToEpsilon}). */
export function rdpToDelta(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  epsilon: number,
  conversion: RdpConversion = 'tight',
): number {
  let bestLog = 0;
  for (let k = 0; k < orders.length; k++) {
    const order = orders[k]!;
    const r = rdp[k]!;
    if (!Number.isFinite(r)) continue;
    let logDelta =
      conversion === 'tight'
        ? (order - 1) * (r - epsilon + Math.log1p(-1 / order)) - Math.log(order)
        : (order - 1) * (r - epsilon);
    if (conversion === 'tight') logDelta = Math.min(logDelta, 0.5 * Math.log(-Math.expm1(-r)));
    if (logDelta < bestLog) bestLog = logDelta;
  }
  return Math.exp(bestLog);
}
