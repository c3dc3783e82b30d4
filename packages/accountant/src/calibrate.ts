/**
 * Noise calibration: the smallest noise multiplier (up to a relative tolerance) whose epsilon is at most
 * a target, found with Brent's method and always returned on the safe side (epsilon <= target).
 */
import { brentRoot } from './brent';
import { assertDelta, gaussianMu, gdpEpsilon } from './gaussian';
import { assertInRange, assertInteger } from './validate';

/** Smallest noise multiplier considered by the calibrations. */
export const MIN_CALIBRATED_NOISE_MULTIPLIER = 0.01;
/** Largest noise multiplier considered by the calibrations. */
export const MAX_CALIBRATED_NOISE_MULTIPLIER = 1e6;

/** Relative tolerance on the calibrated noise multiplier. */
export const CALIBRATION_RELATIVE_TOLERANCE = 1e-6;

/**
 * Smallest sigma in `[MIN_CALIBRATED_NOISE_MULTIPLIER, MAX_CALIBRATED_NOISE_MULTIPLIER]` with
 * `epsilonOf(sigma) <= targetEpsilon`, to a relative tolerance, where `epsilonOf` is non-increasing.
 * Returns the upper end of Brent's final bracket, at which the epsilon was evaluated and is <= target.
 */
export function calibrateDecreasing(
  epsilonOf: (noiseMultiplier: number) => number,
  targetEpsilon: number,
  relativeTolerance = CALIBRATION_RELATIVE_TOLERANCE,
): number {
  const f = (sigma: number) => epsilonOf(sigma) - targetEpsilon;
  // Geometric bracketing from sigma = 1.
  let low = 1;
  let fLow = f(low);
  let high = low;
  let fHigh = fLow;
  if (fLow > 0) {
    do {
      low = high;
      fLow = fHigh;
      high = Math.min(high * 4, MAX_CALIBRATED_NOISE_MULTIPLIER);
      fHigh = f(high);
    } while (fHigh > 0 && high < MAX_CALIBRATED_NOISE_MULTIPLIER);
    if (fHigh > 0) {
      throw new RangeError(
        `targetEpsilon ${targetEpsilon} cannot be reached with noiseMultiplier <= ${MAX_CALIBRATED_NOISE_MULTIPLIER}`,
      );
    }
  } else {
    do {
      high = low;
      fHigh = fLow;
      low = Math.max(low / 4, MIN_CALIBRATED_NOISE_MULTIPLIER);
      fLow = f(low);
    } while (fLow <= 0 && low > MIN_CALIBRATED_NOISE_MULTIPLIER);
    // Even the smallest noise multiplier considered meets the target: return it (safe side).
    if (fLow <= 0) return low;
  }
  const bracket = brentRoot(f, low, high, {
    fA: fLow,
    fB: fHigh,
    absoluteTolerance: 0,
    relativeTolerance: relativeTolerance,
  });
  return bracket.fLow <= 0 ? bracket.low : bracket.high;
}

/** Options of {@link calibrateGaussian}. */
export interface CalibrateGaussianOptions {
  /** Target epsilon, in `(0, Infinity)`. */
  readonly targetEpsilon: number;
  /** Target delta, in `(0, 1)`. */
  readonly targetDelta: number;
  /** Number of composed Gaussian releases (or participations), an integer >= 1. */
  readonly compositions: number;
}

/**
 * Noise multiplier of `compositions` Gaussian releases (no sampling) that meets (targetEpsilon,
 * targetDelta) exactly: mu-GDP is solved for mu, and sigma = sqrt(compositions)/mu, rounded up.
 */
export function calibrateGaussian(options: CalibrateGaussianOptions): number {
  const { targetEpsilon, targetDelta, compositions } = options;
  assertTargetEpsilon(targetEpsilon);
  assertDelta(targetDelta, 'targetDelta');
  assertInteger('compositions', compositions, 1);
  const sigmaFor = (mu: number) => Math.sqrt(compositions) / mu;
  // epsilon is increasing in mu: bracket mu, solve, keep the end with epsilon <= target.
  let high = 1;
  while (gdpEpsilon(high, targetDelta) <= targetEpsilon && high < 1e12) high *= 2;
  let low = high / 2;
  while (gdpEpsilon(low, targetDelta) > targetEpsilon && low > 1e-12) low /= 2;
  const bracket = brentRoot((mu) => gdpEpsilon(mu, targetDelta) - targetEpsilon, low, high, {
    absoluteTolerance: 0,
    relativeTolerance: 1e-12,
  });
  const mu = bracket.fLow <= 0 ? bracket.low : bracket.high;
  let sigma = sigmaFor(mu);
  // Round-off in sqrt/division must not give a slightly smaller sigma than the certified one.
  while (gdpEpsilon(gaussianMu(sigma, compositions), targetDelta) > targetEpsilon) sigma *= 1 + 1e-12;
  return sigma;
}

/** Throws unless `targetEpsilon` is a finite number > 0. */
export function assertTargetEpsilon(targetEpsilon: number): void {
  assertInRange('targetEpsilon', targetEpsilon, { min: 0, max: Number.MAX_VALUE, minExclusive: true });
}
