/**
 * Buffered linear Toeplitz (BLT) matrices (Dvijotham et al. 2024, arXiv 2404.16706; McMahan, Xu, Zhang 2024,
 * arXiv 2408.08868). A BLT with `d` buffers has decays θ_i and output scales ω_i and is the lower-triangular
 * Toeplitz matrix with coefficients `c_0 = 1`, `c_t = Σ_i ω_i θ_i^(t-1)` (t ≥ 1); its generating function is
 * `1 + Σ_i ω_i x / (1 - θ_i x)`. Its inverse is again a BLT with `d` buffers, so both C and C⁻¹ can be
 * applied to a stream of vectors with `d` buffers of state.
 */
import {
  checkStreamSize,
  checkStreamState,
  type NoiseStream,
  type NoiseStreamState,
  prepareStreamIo,
} from './noise-stream';
import { assertFiniteArray } from './validate';

/** Throws unless every decay is a finite number in (0, 1) and no two decays are equal. */
function checkDecays(name: string, decays: ArrayLike<number>): void {
  assertFiniteArray(name, decays, { minLength: 1 });
  for (let i = 0; i < decays.length; i++) {
    const v = decays[i] as number;
    if (!(v > 0 && v < 1)) throw new RangeError(`${name}[${i}] must be a finite number in (0, 1), got ${v}`);
    for (let j = 0; j < i; j++) {
      if (decays[j] === v) {
        throw new RangeError(`${name} must be pairwise distinct, but ${name}[${j}] = ${name}[${i}] = ${v}`);
      }
    }
  }
}

/**
 * Partial-fraction scales of the pair parameterisation: for the BLT with decays `a` whose inverse has decays
 * `b`, scale_i = Π_j (a_i - b_j) / Π_{j≠i} (a_i - a_j). With (a, b) = (θ, θ̂) this gives ω; with (θ̂, θ) it gives ω̂.
 */
export function pairOutputScales(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const d = a.length;
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const ai = a[i] as number;
    let value = 1;
    for (let j = 0; j < d; j++) {
      value *= ai - (b[j] as number);
      if (j !== i) value /= ai - (a[j] as number);
    }
    out[i] = value;
  }
  return out;
}

/**
 * Partial-fraction scales from decay complements (u = 1 - θ): scale_i = Π_j (ub_j - ua_i) / Π_{j≠i} (ua_j - ua_i),
 * the same as {@link pairOutputScales}(1 - ua, 1 - ub) without rounding decays near 1.
 */
export function pairOutputScalesFromComplements(ua: ArrayLike<number>, ub: ArrayLike<number>): Float64Array {
  const d = ua.length;
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const ai = ua[i] as number;
    let value = 1;
    for (let j = 0; j < d; j++) {
      value *= (ub[j] as number) - ai;
      if (j !== i) value /= (ua[j] as number) - ai;
    }
    out[i] = value;
  }
  return out;
}

/**
 * Complements s = 1 - θ̂ of the inverse decays when all ω_i share one sign (all roots real): the roots of the
 * secular equation g(s) = 1 + Σ ω_i / (u_i - s) = 0, written in the complements u = 1 - θ so that decays
 * within 1e-10 of 1 keep their relative precision.
 */
function secularComplements(complements: Float64Array, scales: Float64Array): Float64Array {
  const d = complements.length;
  const order = Array.from(complements.keys()).sort(
    (i, j) => (complements[i] as number) - (complements[j] as number),
  );
  const u = Float64Array.from(order, (i) => complements[i] as number);
  const omega = Float64Array.from(order, (i) => scales[i] as number);
  const positive = (omega[0] as number) > 0;
  let total = 0;
  for (const w of omega) total += Math.abs(w);
  const g = (s: number): number => {
    let acc = 1;
    for (let i = 0; i < d; i++) acc += (omega[i] as number) / ((u[i] as number) - s);
    return acc;
  };
  // ω > 0: g is -∞ just above each pole u_i and +∞ just below the next; right of the last pole it rises to 1.
  // ω < 0: mirrored, with the extra root left of the first pole. One root per bracket; bisect to the last bit.
  const brackets: [number, number][] = [];
  if (!positive) brackets.push([(u[0] as number) - total - 1, u[0] as number]);
  for (let i = 0; i + 1 < d; i++) brackets.push([u[i] as number, u[i + 1] as number]);
  if (positive) brackets.push([u[d - 1] as number, (u[d - 1] as number) + total + 1]);
  const roots = new Float64Array(d);
  brackets.forEach(([lo0, hi0], k) => {
    let lo = lo0;
    let hi = hi0;
    const signLo = positive ? -1 : 1;
    for (let iter = 0; iter < 2100; iter++) {
      const mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      const value = g(mid);
      if (value === 0) {
        lo = mid;
        hi = mid;
        break;
      }
      if (Math.sign(value) === signLo) lo = mid;
      else hi = mid;
    }
    roots[k] = lo + (hi - lo) / 2;
  });
  return roots;
}

/** Complex roots of a monic real polynomial (coefficients highest degree first) by the Aberth iteration. */
function polynomialRoots(monic: Float64Array): { re: Float64Array; im: Float64Array } {
  const d = monic.length - 1;
  const re = new Float64Array(d);
  const im = new Float64Array(d);
  let radius = 0;
  for (let k = 1; k <= d; k++) radius = Math.max(radius, Math.abs(monic[k] as number) ** (1 / k));
  radius = 2 * radius + 1e-3;
  for (let k = 0; k < d; k++) {
    const angle = (2 * Math.PI * k) / d + 0.4;
    re[k] = radius * Math.cos(angle);
    im[k] = radius * Math.sin(angle);
  }
  const evaluate = (xr: number, xi: number): [number, number, number, number] => {
    // Horner for p and p'.
    let pr = monic[0] as number;
    let pi = 0;
    let dr = 0;
    let di = 0;
    for (let k = 1; k <= d; k++) {
      const ndr = dr * xr - di * xi + pr;
      const ndi = dr * xi + di * xr + pi;
      dr = ndr;
      di = ndi;
      const npr = pr * xr - pi * xi + (monic[k] as number);
      const npi = pr * xi + pi * xr;
      pr = npr;
      pi = npi;
    }
    return [pr, pi, dr, di];
  };
  for (let iter = 0; iter < 500; iter++) {
    let moved = 0;
    for (let k = 0; k < d; k++) {
      const xr = re[k] as number;
      const xi = im[k] as number;
      const [pr, pi, dr, di] = evaluate(xr, xi);
      const den = dr * dr + di * di;
      if (pr === 0 && pi === 0) continue;
      // ratio = p / p'
      const rr = den === 0 ? 0 : (pr * dr + pi * di) / den;
      const ri = den === 0 ? 0 : (pi * dr - pr * di) / den;
      let sr = 0;
      let si = 0;
      for (let j = 0; j < d; j++) {
        if (j === k) continue;
        const ur = xr - (re[j] as number);
        const ui = xi - (im[j] as number);
        const uden = ur * ur + ui * ui;
        sr += ur / uden;
        si += -ui / uden;
      }
      // w = ratio / (1 - ratio * s)
      const qr = 1 - (rr * sr - ri * si);
      const qi = -(rr * si + ri * sr);
      const qden = qr * qr + qi * qi;
      const wr = (rr * qr + ri * qi) / qden;
      const wi = (ri * qr - rr * qi) / qden;
      re[k] = xr - wr;
      im[k] = xi - wi;
      moved = Math.max(moved, Math.hypot(wr, wi) / Math.max(1, Math.hypot(xr, xi)));
    }
    if (moved < 1e-17) break;
  }
  return { re, im };
}

/**
 * Complements 1 - θ̂ of the decays of the inverse BLT: θ̂ are the eigenvalues of diag(θ) - ω 1ᵀ, i.e. the roots
 * of Π(y-θ_i)(1 + Σ ω_i/(y-θ_i)).
 */
function inverseComplementsOf(decays: Float64Array, scales: Float64Array): Float64Array {
  const allPositive = scales.every((w) => w > 0);
  const allNegative = scales.every((w) => w < 0);
  if (allPositive || allNegative) {
    return secularComplements(
      Float64Array.from(decays, (t) => 1 - t),
      scales,
    );
  }
  const d = decays.length;
  // Expand Π(y-θ_i) + Σ ω_i Π_{j≠i}(y-θ_j) into monic coefficients (highest degree first).
  const poly = new Float64Array(d + 1);
  poly[0] = 1;
  for (let i = 0; i < d; i++) {
    for (let k = i + 1; k >= 1; k--)
      poly[k] = (poly[k] as number) - (decays[i] as number) * (poly[k - 1] as number);
  }
  for (let i = 0; i < d; i++) {
    const partial = new Float64Array(d);
    partial[0] = 1;
    let degree = 0;
    for (let j = 0; j < d; j++) {
      if (j === i) continue;
      degree++;
      for (let k = degree; k >= 1; k--) {
        partial[k] = (partial[k] as number) - (decays[j] as number) * (partial[k - 1] as number);
      }
    }
    for (let k = 0; k < d; k++)
      poly[k + 1] = (poly[k + 1] as number) + (scales[i] as number) * (partial[k] as number);
  }
  const { re, im } = polynomialRoots(poly);
  for (let k = 0; k < d; k++) {
    if (Math.abs(im[k] as number) > 1e-9 * Math.max(1, Math.abs(re[k] as number))) {
      throw new RangeError(
        'the inverse of this BLT has complex decays and is not a real BLT (outputScales of mixed signs)',
      );
    }
  }
  return Float64Array.from(re, (y) => 1 - y);
}

/** Raw BLT parameters (not validated to lie in (0, 1)). */
export interface BltParameters {
  /** Buffer decays θ_i. */
  readonly decays: Float64Array;
  /** Output scales ω_i. */
  readonly outputScales: Float64Array;
  /** 1 - θ_i, computed without rounding θ_i first (more precise than `1 - decays[i]` for decays near 1). */
  readonly complements: Float64Array;
}

/** JSON form of a {@link Blt}. */
export interface BltJson {
  /** Buffer decays θ_i. */
  readonly decays: number[];
  /** Output scales ω_i. */
  readonly outputScales: number[];
}

/**
 * Parameters of the inverse of the BLT (decays, outputScales) as plain real numbers, without requiring them
 * to lie in (0, 1): the decays are the eigenvalues of diag(θ) - ω 1ᵀ and the scales follow from the pair
 * formula. Buffers with a zero output scale do not affect the matrix and are dropped first. Throws a
 * `RangeError` when the inverse has complex decays (possible only for output scales of mixed signs).
 */
export function inverseBltParameters(
  decays: ArrayLike<number>,
  outputScales: ArrayLike<number>,
): BltParameters {
  checkDecays('decays', decays);
  assertFiniteArray('outputScales', outputScales);
  if (outputScales.length !== decays.length) {
    throw new RangeError(
      `outputScales must have one entry per decay (${decays.length}), got ${outputScales.length}`,
    );
  }
  const keep = Array.from({ length: decays.length }, (_, i) => i).filter((i) => outputScales[i] !== 0);
  if (keep.length === 0)
    throw new RangeError('outputScales must not all be 0 (the identity has no inverse buffers)');
  const theta = Float64Array.from(keep, (i) => decays[i] as number);
  const omega = Float64Array.from(keep, (i) => outputScales[i] as number);
  const complements = inverseComplementsOf(theta, omega);
  return {
    decays: Float64Array.from(complements, (s) => 1 - s),
    outputScales: pairOutputScalesFromComplements(
      complements,
      Float64Array.from(theta, (t) => 1 - t),
    ),
    complements,
  };
}

let fromComplementPair: (u: Float64Array, uHat: Float64Array) => Blt;
let inverseOf: (blt: Blt) => BltParameters;

/**
 * The BLT with decay complements `u` (decays 1 - u, rounded to float64) whose inverse has decay complements
 * `uHat`, with output scales from the pair formula in the complements (used by the fitter, which works in
 * complements to keep decays near 1 precise). The inverse complements are kept exactly.
 */
export function bltFromComplementPair(u: Float64Array, uHat: Float64Array): Blt {
  return fromComplementPair(u, uHat);
}

/** Parameters of the inverse of `blt`, with precise complements (cached ones when the BLT came from a pair). */
export function bltInverseParameters(blt: Blt): BltParameters {
  return inverseOf(blt);
}

/** A buffered linear Toeplitz matrix: validated decays in (0, 1) (pairwise distinct) and finite output scales. */
export class Blt {
  readonly #decays: Float64Array;
  readonly #outputScales: Float64Array;
  /** 1 - θ̂ of the inverse when known exactly (pair constructions); otherwise computed on demand. */
  #inverseComplements: Float64Array | undefined;

  static {
    fromComplementPair = (u, uHat) => {
      const decays = Float64Array.from(u, (v) => 1 - v);
      // Use the complements of the rounded decays (exact), so that the scales match the stored decays.
      const exact = Float64Array.from(decays, (t) => 1 - t);
      const blt = new Blt(decays, pairOutputScalesFromComplements(exact, uHat));
      blt.#inverseComplements = Float64Array.from(uHat);
      return blt;
    };
    inverseOf = (blt) => {
      const cached = blt.#inverseComplements;
      if (cached === undefined) return inverseBltParameters(blt.#decays, blt.#outputScales);
      const u = Float64Array.from(blt.#decays, (t) => 1 - t);
      return {
        decays: Float64Array.from(cached, (s) => 1 - s),
        outputScales: pairOutputScalesFromComplements(cached, u),
        complements: cached.slice(),
      };
    };
  }

  /**
   * @param decays - θ_i, each in (0, 1), pairwise distinct (the buffer decay rates).
   * @param outputScales - ω_i, finite, one per decay.
   */
  constructor(decays: ArrayLike<number>, outputScales: ArrayLike<number>) {
    checkDecays('decays', decays);
    assertFiniteArray('outputScales', outputScales);
    if (outputScales.length !== decays.length) {
      throw new RangeError(
        `outputScales must have one entry per decay (${decays.length}), got ${outputScales.length}`,
      );
    }
    this.#decays = Float64Array.from(decays);
    this.#outputScales = Float64Array.from(outputScales);
  }

  /**
   * The BLT whose inverse has decays `inverseDecays` (the pair parameterisation used for fitting): output
   * scales ω_i = Π_j (θ_i - θ̂_j) / Π_{j≠i} (θ_i - θ_j). All 2d decays must be in (0, 1) and pairwise distinct.
   */
  static fromDecayPair(decays: ArrayLike<number>, inverseDecays: ArrayLike<number>): Blt {
    checkDecays('decays', decays);
    checkDecays('inverseDecays', inverseDecays);
    if (inverseDecays.length !== decays.length) {
      throw new RangeError(
        `inverseDecays must have one entry per decay (${decays.length}), got ${inverseDecays.length}`,
      );
    }
    for (let i = 0; i < decays.length; i++) {
      for (let j = 0; j < inverseDecays.length; j++) {
        if (decays[i] === inverseDecays[j]) {
          throw new RangeError(
            `decays and inverseDecays must be distinct, but decays[${i}] = inverseDecays[${j}] = ${decays[i]}`,
          );
        }
      }
    }
    const blt = new Blt(decays, pairOutputScales(decays, inverseDecays));
    blt.#inverseComplements = Float64Array.from(inverseDecays, (t) => 1 - t);
    return blt;
  }

  /** θ_i, the buffer decays (a copy). */
  get decays(): Float64Array {
    return this.#decays.slice();
  }

  /** ω_i, the output scales (a copy). */
  get outputScales(): Float64Array {
    return this.#outputScales.slice();
  }

  /** Number of buffers d. */
  get bufferCount(): number {
    return this.#decays.length;
  }

  /** Toeplitz coefficients c_0..c_{steps-1}: c_0 = 1 and c_t = Σ_i ω_i θ_i^(t-1). Cost O(steps · d). */
  coefficients(steps: number): Float64Array {
    if (!Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`steps must be an integer in [1, ${Number.MAX_SAFE_INTEGER}], got ${steps}`);
    }
    const out = new Float64Array(steps);
    out[0] = 1;
    const d = this.#decays.length;
    const powers = new Float64Array(d).fill(1);
    for (let t = 1; t < steps; t++) {
      let acc = 0;
      for (let i = 0; i < d; i++) {
        acc += (this.#outputScales[i] as number) * (powers[i] as number);
        powers[i] = (powers[i] as number) * (this.#decays[i] as number);
      }
      out[t] = acc;
    }
    return out;
  }

  /**
   * The inverse matrix as a BLT. Buffers with a zero output scale do not affect the matrix and are dropped
   * first. Throws a `RangeError` when the inverse's decays are not real numbers in (0, 1) (for example when
   * Σ ω_i/θ_i ≥ 1 puts a decay at or below zero).
   */
  inverse(): Blt {
    const { decays, complements } = inverseOf(this);
    for (let i = 0; i < decays.length; i++) {
      const v = decays[i] as number;
      if (!(v > 0 && v < 1)) {
        throw new RangeError(
          `the inverse of this BLT has decay ${v} outside (0, 1) and is not a valid Blt ` +
            '(it stays available through inverseBltParameters and the inverse stream)',
        );
      }
    }
    const kept = Array.from(this.#outputScales.keys()).filter((i) => this.#outputScales[i] !== 0);
    const u = Float64Array.from(kept, (i) => 1 - (this.#decays[i] as number));
    const inverse = fromComplementPair(complements, u);
    return inverse;
  }

  /** A stream applying C itself: y_t = z_t + Σ_i ω_i S_i, then S_i ← θ_i S_i + z_t. */
  createStream(size: number): NoiseStream {
    return new BltStream(this.#decays, this.#outputScales, size, 'forward');
  }

  /**
   * A stream applying C⁻¹ with d buffers of length `size`: x_t = z_t - Σ_i ω_i S_i, then S_i ← θ_i S_i + x_t
   * (so that C x = z). This is the per-step correlated-noise generator.
   */
  createInverseStream(size: number): NoiseStream {
    return new BltStream(this.#decays, this.#outputScales, size, 'inverse');
  }

  /** A plain JSON-friendly description `{ decays, outputScales }` (numbers round-trip exactly through JSON). */
  toJSON(): BltJson {
    return { decays: Array.from(this.#decays), outputScales: Array.from(this.#outputScales) };
  }
}

/** Streaming application of a BLT or of its inverse with one float64 buffer per decay. */
class BltStream implements NoiseStream {
  readonly size: number;
  #step = 0;
  readonly #decays: Float64Array;
  readonly #scales: Float64Array;
  readonly #buffers: Float64Array[];
  readonly #mode: 'forward' | 'inverse';
  readonly #scratch: Float64Array;
  readonly #input: Float64Array;

  constructor(decays: Float64Array, scales: Float64Array, size: number, mode: 'forward' | 'inverse') {
    checkStreamSize(size);
    this.size = size;
    this.#scratch = new Float64Array(size);
    this.#input = mode === 'forward' ? new Float64Array(size) : new Float64Array(0);
    this.#decays = decays.slice();
    this.#scales = scales.slice();
    this.#buffers = Array.from(decays, () => new Float64Array(size));
    this.#mode = mode;
  }

  get step(): number {
    return this.#step;
  }

  /** The state's strategy tag names the exact parameters, so a state only restores into the same BLT. */
  #kind(): string {
    const parameters = `decays=${Array.from(this.#decays).join(',')};outputScales=${Array.from(this.#scales).join(',')}`;
    return `${this.#mode === 'inverse' ? 'blt-inverse' : 'blt'}(${parameters})`;
  }

  next(z: Float64Array | Float32Array, out?: Float64Array | Float32Array): Float64Array | Float32Array {
    const target = prepareStreamIo(this.size, z, out);
    const d = this.#decays.length;
    const size = this.size;
    // One tight pass per buffer over a float64 scratch vector (faster in V8 than one pass over all buffers).
    const acc = this.#scratch;
    const inverse = this.#mode === 'inverse';
    const feed = inverse ? acc : this.#input;
    for (let k = 0; k < size; k++) acc[k] = z[k] as number;
    if (!inverse) feed.set(acc);
    const sign = inverse ? -1 : 1;
    for (let i = 0; i < d; i++) {
      const buffer = this.#buffers[i] as Float64Array;
      const scale = sign * (this.#scales[i] as number);
      for (let k = 0; k < size; k++) acc[k] = (acc[k] as number) + scale * (buffer[k] as number);
    }
    // The buffers accumulate the inverse stream's own output, or the forward stream's input.
    for (let i = 0; i < d; i++) {
      const buffer = this.#buffers[i] as Float64Array;
      const decay = this.#decays[i] as number;
      for (let k = 0; k < size; k++) buffer[k] = decay * (buffer[k] as number) + (feed[k] as number);
    }
    target.set(acc);
    this.#step++;
    return target;
  }

  exportState(): NoiseStreamState {
    return {
      strategy: this.#kind(),
      size: this.size,
      step: this.#step,
      buffers: this.#buffers.map((b) => b.slice()),
    };
  }

  restoreState(state: NoiseStreamState): void {
    checkStreamState(state, this.#kind(), this.size, this.#buffers.length);
    state.buffers.forEach((b, i) => {
      (this.#buffers[i] as Float64Array).set(b);
    });
    this.#step = state.step;
  }
}
