/**
 * Standard normal tail functions computed in the tails without cancellation (through the scaled
 * complementary error function), as the accountants need relative accuracy at probabilities far
 * below the double-precision epsilon.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcx from '@stdlib/math-base-special-erfcx';

const SQRT1_2 = Math.SQRT1_2;

/** `log(erfc(x))`, accurate for large positive `x` where `erfc` underflows. */
export function logErfc(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x < 0.5) return Math.log(erfc(x));
  return Math.log(erfcx(x)) - x * x;
}

/** Upper tail `P(Z > x)` of the standard normal distribution. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * SQRT1_2);
}

/** `log P(Z > x)` of the standard normal distribution, finite for every finite `x`. */
export function logNormalSf(x: number): number {
  return Math.log(0.5) + logErfc(x * SQRT1_2);
}

/**
 * `P(a < Z <= b)` for the standard normal distribution, computed from the tail that keeps relative
 * accuracy (the upper tail when both ends are positive, the lower tail when both are negative).
 */
export function normalMass(a: number, b: number): number {
  if (!(b > a)) return 0;
  if (a >= 0) return Math.max(0, normalSf(a) - normalSf(b));
  if (b <= 0) return Math.max(0, normalSf(-b) - normalSf(-a));
  return Math.max(0, 1 - normalSf(b) - normalSf(-a));
}

/** Inverse of the standard normal upper tail: the `x` with `P(Z > x) = p`, for `p` in `(0, 0.5]`. */
export function normalSfInverse(p: number): number {
  // Bisection on the log tail: a few dozen steps to full double precision, and only used to size grids.
  const target = Math.log(p);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 80; i++) {
    const mid = 0.5 * (lo + hi);
    if (logNormalSf(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}
