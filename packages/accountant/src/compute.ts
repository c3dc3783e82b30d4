/**
 * The DP-SGD entry points: epsilon of Poisson-sampled Gaussian steps, and the noise multiplier that
 * reaches a target epsilon.
 */
import { brentRoot } from './brent';
import {
  assertTargetEpsilon,
  calibrateDecreasing,
  calibrateGaussian,
  MAX_CALIBRATED_NOISE_MULTIPLIER,
  MIN_CALIBRATED_NOISE_MULTIPLIER,
} from './calibrate';
import { GaussianEvent, PoissonSampledEvent } from './events';
import { assertDelta, assertNoiseMultiplier, gaussianMu, gdpEpsilon } from './gaussian';
import { PldAccountant } from './pld-accountant';
import { DEFAULT_RDP_ORDERS, rdpSampledGaussian, rdpToEpsilon } from './rdp';
import { assertInRange, assertInteger } from './validate';

/** Accounting method of the DP-SGD entry points: `'pld'` (tightest) or `'rdp'` (fastest). */
export type DpSgdAccountant = 'pld' | 'rdp';

/** Options of {@link computeEpsilon}. */
export interface ComputeEpsilonOptions {
  /** Noise standard deviation over the clipping norm, in `(0, Infinity)`. */
  readonly noiseMultiplier: number;
  /** Poisson sampling rate of each step, in `(0, 1]`; 1 means no sampling. */
  readonly sampleRate: number;
  /** Number of steps, an integer in `[1, 1e9]`. */
  readonly steps: number;
  /** Target delta, in `(0, 1)`. */
  readonly delta: number;
  /** Accounting method; default `'pld'`. */
  readonly accountant?: DpSgdAccountant;
}

/** Options of {@link calibrateNoiseMultiplier}. */
export interface CalibrateNoiseMultiplierOptions {
  /** Target epsilon, in `(0, Infinity)`. */
  readonly targetEpsilon: number;
  /** Target delta, in `(0, 1)`. */
  readonly targetDelta: number;
  /** Poisson sampling rate of each step, in `(0, 1]`; 1 means no sampling. */
  readonly sampleRate: number;
  /** Number of steps, an integer in `[1, 1e9]`. */
  readonly steps: number;
  /** Accounting method; default `'pld'`. */
  readonly accountant?: DpSgdAccountant;
}

/** Largest number of steps accepted by the DP-SGD entry points. */
export const MAX_STEPS = 1e9;

function assertDpSgd(sampleRate: number, steps: number, accountant: unknown): void {
  assertInRange('sampleRate', sampleRate, { min: 0, max: 1, minExclusive: true });
  assertInteger('steps', steps, 1, MAX_STEPS);
  if (accountant !== 'rdp' && accountant !== 'pld') {
    throw new RangeError(`accountant must be 'pld' or 'rdp', got ${String(accountant)}`);
  }
}

function rdpEpsilon(noiseMultiplier: number, sampleRate: number, steps: number, delta: number): number {
  const rdp = DEFAULT_RDP_ORDERS.map(
    (order) => steps * rdpSampledGaussian(sampleRate, noiseMultiplier, order),
  );
  return rdpToEpsilon(DEFAULT_RDP_ORDERS, rdp, delta);
}

/** Interval of the coarse PLD used to bracket the calibration before the fine one finishes it. */
const COARSE_PLD_INTERVAL = 1e-3;

function pldEpsilon(
  noiseMultiplier: number,
  sampleRate: number,
  steps: number,
  delta: number,
  interval?: number,
): number {
  // Without sampling the PLD of Gaussian steps is exactly mu-GDP: use the closed form.
  if (sampleRate === 1) return gdpEpsilon(gaussianMu(noiseMultiplier, steps), delta);
  const accountant = new PldAccountant(interval === undefined ? {} : { interval });
  accountant.compose(new PoissonSampledEvent(sampleRate, new GaussianEvent(noiseMultiplier)), steps);
  // Both are valid upper bounds: RDP can be smaller where the PLD had to coarsen its grid or sits
  // at its floating-point floor (tiny delta with a tiny sampling rate).
  return Math.min(accountant.getEpsilon(delta), rdpEpsilon(noiseMultiplier, sampleRate, steps, delta));
}

/**
 * Epsilon of DP-SGD: `steps` Poisson-sampled Gaussian steps at `delta`.
 *
 * @example
 * ```ts
 * computeEpsilon({ noiseMultiplier: 1, sampleRate: 1024 / 60000, steps: 2930, delta: 1e-5, accountant: 'pld' }); // 5.77
 * ```
 */
export function computeEpsilon(options: ComputeEpsilonOptions): number {
  const { noiseMultiplier, sampleRate, steps, delta, accountant = 'pld' } = options;
  assertNoiseMultiplier(noiseMultiplier);
  assertDpSgd(sampleRate, steps, accountant);
  assertDelta(delta);
  return accountant === 'rdp'
    ? rdpEpsilon(noiseMultiplier, sampleRate, steps, delta)
    : pldEpsilon(noiseMultiplier, sampleRate, steps, delta);
}

/**
 * Smallest noise multiplier (relative tolerance 1e-6) for which DP-SGD with `steps` steps at
 * `sampleRate` is (targetEpsilon, targetDelta)-DP; the epsilon at the returned value is <= target.
 */
export function calibrateNoiseMultiplier(options: CalibrateNoiseMultiplierOptions): number {
  const { targetEpsilon, targetDelta, sampleRate, steps, accountant = 'pld' } = options;
  assertTargetEpsilon(targetEpsilon);
  assertDelta(targetDelta, 'targetDelta');
  assertDpSgd(sampleRate, steps, accountant);
  const rdpSigma = calibrateDecreasing(
    (sigma) => rdpEpsilon(sigma, sampleRate, steps, targetDelta),
    targetEpsilon,
  );
  if (accountant === 'rdp') return rdpSigma;
  if (sampleRate === 1) return calibrateGaussian({ targetEpsilon, targetDelta, compositions: steps });
  return calibratePld(targetEpsilon, targetDelta, sampleRate, steps, rdpSigma);
}

/**
 * PLD calibration: the RDP answer bounds sigma from above; a coarse PLD (interval 1e-3) locates the
 * root cheaply (Brent, relative tolerance 1e-4); the fine PLD (default interval) is evaluated near it
 * and a secant step with the coarse slope lands just on the safe side (usually two fine evaluations),
 * else Brent finishes on the fine curve. The returned sigma is one at which the fine epsilon was
 * evaluated and is <= target, within about 1e-4 (relative) of the smallest such sigma.
 */
function calibratePld(
  targetEpsilon: number,
  targetDelta: number,
  sampleRate: number,
  steps: number,
  rdpSigma: number,
): number {
  const coarse = (sigma: number) =>
    pldEpsilon(sigma, sampleRate, steps, targetDelta, COARSE_PLD_INTERVAL) - targetEpsilon;
  const fine = (sigma: number) => pldEpsilon(sigma, sampleRate, steps, targetDelta) - targetEpsilon;
  // Coarse root, bracketed below the RDP answer.
  let high = rdpSigma;
  let fHigh = coarse(high);
  while (fHigh > 0 && high < MAX_CALIBRATED_PLD_SIGMA) {
    high *= 1.25;
    fHigh = coarse(high);
  }
  let low = high;
  let fLow = fHigh;
  while (fLow <= 0 && low > MIN_CALIBRATED_PLD_SIGMA) {
    low /= 1.25;
    fLow = coarse(low);
  }
  if (fLow <= 0) return fineSafe(fine, low);
  const coarseBracket = brentRoot(coarse, low, high, {
    fA: fLow,
    fB: fHigh,
    absoluteTolerance: 0,
    relativeTolerance: 1e-4,
  });
  const coarseRoot = coarseBracket.fHigh <= 0 ? coarseBracket.high : coarseBracket.low;
  // Slope of epsilon in sigma (negative), from the coarse bracket or a small difference.
  let slope =
    coarseBracket.high > coarseBracket.low
      ? (coarseBracket.fHigh - coarseBracket.fLow) / (coarseBracket.high - coarseBracket.low)
      : Number.NaN;
  if (!(slope < 0)) slope = (coarse(coarseRoot * 1.001) - coarse(coarseRoot)) / (coarseRoot * 0.001);
  // Fine phase: a point on the safe side near the coarse root (the coarse grid is the more pessimistic
  // one, so the coarse root usually is), then one secant step aimed just inside the safe side.
  let step = 5e-4;
  let fineHigh = coarseRoot * (1 + 1e-5);
  let fFineHigh = fine(fineHigh);
  while (fFineHigh > 0) {
    fineHigh *= 1 + step;
    step *= 2;
    fFineHigh = fine(fineHigh);
  }
  let fineLow = Number.NaN;
  let fFineLow = Number.NaN;
  if (slope < 0 && fFineHigh < 0) {
    const guess = (fineHigh - fFineHigh / slope) * (1 + 2e-5);
    if (guess < fineHigh * (1 - 2e-5)) {
      const fGuess = fine(guess);
      // Safe, and by the local slope within 1e-4 (relative) of the root: done.
      if (fGuess <= 0 && -fGuess <= -slope * guess * 1e-4) return guess;
      if (fGuess <= 0) {
        fineHigh = guess;
        fFineHigh = fGuess;
      } else {
        fineLow = guess;
        fFineLow = fGuess;
      }
    } else {
      return fineHigh;
    }
  }
  if (Number.isNaN(fineLow)) {
    // The secant step stayed safe (or was not possible): confirm a point below within the tolerance.
    step = 5e-5;
    fineLow = fineHigh * (1 - step);
    fFineLow = fine(fineLow);
    while (fFineLow <= 0 && fineLow > MIN_CALIBRATED_PLD_SIGMA) {
      fineHigh = fineLow;
      fFineHigh = fFineLow;
      step *= 4;
      fineLow = fineHigh * (1 - step);
      fFineLow = fine(fineLow);
    }
    if (fFineLow <= 0) return fineLow;
  }
  const bracket = brentRoot(fine, fineLow, fineHigh, {
    fA: fFineLow,
    fB: fFineHigh,
    absoluteTolerance: 0,
    relativeTolerance: 1e-4,
  });
  return bracket.fHigh <= 0 ? bracket.high : bracket.low;
}

/** `sigma`, raised until the fine epsilon is at most the target. */
function fineSafe(fine: (sigma: number) => number, sigma: number): number {
  let s = sigma;
  while (fine(s) > 0) s *= 1.001;
  return s;
}

const MIN_CALIBRATED_PLD_SIGMA = MIN_CALIBRATED_NOISE_MULTIPLIER;
const MAX_CALIBRATED_PLD_SIGMA = MAX_CALIBRATED_NOISE_MULTIPLIER;
