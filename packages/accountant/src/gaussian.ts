/**
 * Exact (epsilon, delta) of the Gaussian mechanism without amplification, composed `compositions`
 * times: the composition is mu-GDP with mu = sqrt(compositions) / noiseMultiplier (Dong, Roth, Su
 * 2019), whose privacy profile is Balle & Wang's analytic Gaussian curve
 * delta(epsilon) = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2).
 */
import erfcx from '@stdlib/math-base-special-erfcx';
import { brentRoot } from './brent';
import { logNormalSf, normalSf } from './normal';
import { assertInRange, assertInteger } from './validate';

/**
 * `log delta(epsilon)` of mu-GDP, without cancellation: for epsilon/mu >= mu/2 both terms share the
 * factor exp(-a^2/2) (a = epsilon/mu - mu/2) and the difference is one of scaled erfc values.
 */
export function gdpLogDelta(mu: number, epsilon: number): number {
  if (epsilon === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  const a = epsilon / mu - mu / 2;
  const b = epsilon / mu + mu / 2;
  if (a >= 0) {
    const difference = erfcx(a * Math.SQRT1_2) - erfcx(b * Math.SQRT1_2);
    return difference > 0 ? -0.5 * a * a + Math.log(0.5 * difference) : Number.NEGATIVE_INFINITY;
  }
  const value = normalSf(a) - Math.exp(epsilon + logNormalSf(b));
  return value > 0 ? Math.log(value) : Number.NEGATIVE_INFINITY;
}

/** Relative margin below the target delta that {@link gdpEpsilon} aims at (covers rounding). */
export const GDP_DELTA_MARGIN = 1e-9;

/** `delta(epsilon)` of mu-GDP. */
export function gdpDelta(mu: number, epsilon: number): number {
  return Math.min(1, Math.exp(gdpLogDelta(mu, epsilon)));
}

/**
 * Smallest epsilon >= 0 with `delta(epsilon) <= delta` for mu-GDP, found by Brent's method on
 * `log delta(epsilon)` and returned on the safe side (the upper end of the final bracket).
 */
export function gdpEpsilon(mu: number, delta: number): number {
  // Aim 1e-9 (relative) below delta: a margin for the rounding of delta(epsilon) itself.
  const logTarget = Math.log(delta) + Math.log1p(-GDP_DELTA_MARGIN);
  if (gdpLogDelta(mu, 0) <= logTarget) return 0;
  // delta(eps) <= P(privacy loss > eps) = Phi(-(eps - mu^2/2)/mu) <= exp(-t^2/2)/2 at t = sqrt(2 ln(1/delta)).
  const high = (mu * mu) / 2 + mu * Math.sqrt(2 * Math.log(1 / delta));
  const f = (epsilon: number) => gdpLogDelta(mu, epsilon) - logTarget;
  const bracket = brentRoot(f, 0, high, { absoluteTolerance: 1e-15, relativeTolerance: 1e-14 });
  return bracket.fLow <= 0 ? bracket.low : bracket.high;
}

/** Options of {@link gaussianEpsilon}. */
export interface GaussianEpsilonOptions {
  /** Noise standard deviation over L2 sensitivity of each release, in `(0, Infinity)`. */
  readonly noiseMultiplier: number;
  /** Number of composed releases (or participations), an integer >= 1. */
  readonly compositions: number;
  /** Target delta, in `(0, 1)`. */
  readonly delta: number;
}

/** Options of {@link gaussianDelta}. */
export interface GaussianDeltaOptions {
  /** Noise standard deviation over L2 sensitivity of each release, in `(0, Infinity)`. */
  readonly noiseMultiplier: number;
  /** Number of composed releases (or participations), an integer >= 1. */
  readonly compositions: number;
  /** Epsilon at which delta is evaluated, in `[0, Infinity)`. */
  readonly epsilon: number;
}

/** mu of the GDP guarantee of `compositions` Gaussian releases of noise multiplier `noiseMultiplier`. */
export function gaussianMu(noiseMultiplier: number, compositions: number): number {
  return Math.sqrt(compositions) / noiseMultiplier;
}

/**
 * Exact epsilon of `compositions` Gaussian releases (no sampling) at the given delta.
 *
 * @example
 * ```ts
 * gaussianEpsilon({ noiseMultiplier: 1, compositions: 1, delta: 1e-5 }); // 4.4...
 * ```
 */
export function gaussianEpsilon(options: GaussianEpsilonOptions): number {
  const { noiseMultiplier, compositions, delta } = options;
  assertNoiseMultiplier(noiseMultiplier);
  assertInteger('compositions', compositions, 1);
  assertDelta(delta);
  return gdpEpsilon(gaussianMu(noiseMultiplier, compositions), delta);
}

/** Exact delta of `compositions` Gaussian releases (no sampling) at the given epsilon. */
export function gaussianDelta(options: GaussianDeltaOptions): number {
  const { noiseMultiplier, compositions, epsilon } = options;
  assertNoiseMultiplier(noiseMultiplier);
  assertInteger('compositions', compositions, 1);
  assertEpsilon(epsilon);
  return gdpDelta(gaussianMu(noiseMultiplier, compositions), epsilon);
}

/** Throws unless `noiseMultiplier` is a finite number > 0. */
export function assertNoiseMultiplier(noiseMultiplier: number, name = 'noiseMultiplier'): void {
  assertInRange(name, noiseMultiplier, { min: 0, max: Number.MAX_VALUE, minExclusive: true });
}

/** Throws unless `delta` is in `(0, 1)`. */
export function assertDelta(delta: number, name = 'delta'): void {
  assertInRange(name, delta, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
}

/** Throws unless `epsilon` is a number >= 0 (Infinity allowed: delta is then 0 or the mass at infinity). */
export function assertEpsilon(epsilon: number, name = 'epsilon'): void {
  if (epsilon === Number.POSITIVE_INFINITY) return;
  assertInRange(name, epsilon, { min: 0, max: Number.MAX_VALUE });
}
