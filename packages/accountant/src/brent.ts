/**
 * Brent's root finder (inverse quadratic interpolation, secant and bisection steps) that returns the
 * final bracket, so that callers can pick the end on the safe side of the root.
 */

/** The bracket that Brent's method ends with: `f(low)` and `f(high)` have opposite signs (or one is 0). */
export interface BrentBracket {
  /** Lower end of the final bracket. */
  readonly low: number;
  /** Upper end of the final bracket. */
  readonly high: number;
  /** `f(low)`. */
  readonly fLow: number;
  /** `f(high)`. */
  readonly fHigh: number;
  /** Number of function evaluations spent (including the two at the initial ends). */
  readonly evaluations: number;
}

/** Options of {@link brentRoot}. */
export interface BrentOptions {
  /** Absolute tolerance on the root. */
  readonly absoluteTolerance?: number;
  /** Relative tolerance on the root. */
  readonly relativeTolerance?: number;
  /** Most iterations before giving up with the current bracket. */
  readonly maxIterations?: number;
  /** `f(a)` when already known, to save an evaluation. */
  readonly fA?: number;
  /** `f(b)` when already known, to save an evaluation. */
  readonly fB?: number;
}

/**
 * Finds a root of `f` in `[a, b]`, where `f(a)` and `f(b)` must have opposite signs, and returns the
 * final bracket, of width at most `2 * (absoluteTolerance + relativeTolerance * |root|)`.
 */
export function brentRoot(
  f: (x: number) => number,
  a: number,
  b: number,
  options: BrentOptions = {},
): BrentBracket {
  const absTol = options.absoluteTolerance ?? 1e-12;
  const relTol = options.relativeTolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 200;
  let fa = options.fA ?? f(a);
  let fb = options.fB ?? f(b);
  let evaluations = (options.fA === undefined ? 1 : 0) + (options.fB === undefined ? 1 : 0);
  if (Number.isNaN(fa) || Number.isNaN(fb) || fa * fb > 0) {
    throw new RangeError(`brentRoot: the function must change sign on [${a}, ${b}] (got ${fa} and ${fb})`);
  }
  // b is the best estimate, c the contrapoint with f(c) of the other sign.
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * (absTol + relTol * Math.abs(b));
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) break;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let q: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
    evaluations++;
    if (Number.isNaN(fb)) throw new RangeError(`brentRoot: the function returned NaN at ${b}`);
  }
  if (fb === 0) return { low: b, high: b, fLow: 0, fHigh: 0, evaluations };
  return b < c
    ? { low: b, high: c, fLow: fb, fHigh: fc, evaluations }
    : { low: c, high: b, fLow: fc, fHigh: fb, evaluations };
}
