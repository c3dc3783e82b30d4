/**
 * Lower-triangular Toeplitz algebra. A lower-triangular Toeplitz matrix LTToep(c) has entries
 * `C[i][j] = c[i - j]` for `i >= j` and zero above the diagonal, so it is fully described by its first
 * column `c`. Products and inverses stay lower-triangular Toeplitz; their coefficients multiply and invert
 * as truncated power series. All functions work in float64 and never mutate their inputs.
 */
import { assertFiniteArray, assertInteger } from './validate';

function lengthOrDefault(name: string, steps: number | undefined, fallback: number): number {
  if (steps === undefined) return fallback;
  assertInteger(name, steps, 1);
  return steps;
}

function coefficientAt(c: ArrayLike<number>, index: number): number {
  return index < c.length ? (c[index] as number) : 0;
}

/**
 * Coefficients of the product LTToep(a) · LTToep(b), truncated to `steps` entries (default: the longer input).
 * Missing coefficients count as zero. Cost O(steps · min(length)).
 */
export function toeplitzProduct(a: ArrayLike<number>, b: ArrayLike<number>, steps?: number): Float64Array {
  assertFiniteArray('a', a, { minLength: 1 });
  assertFiniteArray('b', b, { minLength: 1 });
  const n = lengthOrDefault('steps', steps, Math.max(a.length, b.length));
  const out = new Float64Array(n);
  const la = Math.min(a.length, n);
  const lb = Math.min(b.length, n);
  for (let i = 0; i < la; i++) {
    const ai = a[i] as number;
    if (ai === 0) continue;
    const end = Math.min(lb, n - i);
    for (let j = 0; j < end; j++) out[i + j] = (out[i + j] as number) + ai * (b[j] as number);
  }
  return out;
}

/**
 * Coefficients of LTToep(c)⁻¹, truncated to `steps` entries (default `c.length`), by forward substitution
 * `d_0 = 1/c_0`, `d_t = -(1/c_0) Σ_{j=1..t} c_j d_{t-j}`. Cost O(steps · c.length); `c_0` must be non-zero.
 */
export function toeplitzInverse(c: ArrayLike<number>, steps?: number): Float64Array {
  assertFiniteArray('c', c, { minLength: 1 });
  const c0 = c[0] as number;
  if (c0 === 0) throw new RangeError('c[0] must be non-zero for the Toeplitz matrix to be invertible');
  const n = lengthOrDefault('steps', steps, c.length);
  const out = new Float64Array(n);
  const last = Math.min(c.length, n) - 1;
  out[0] = 1 / c0;
  for (let t = 1; t < n; t++) {
    let acc = 0;
    const top = Math.min(t, last);
    for (let j = 1; j <= top; j++) acc += (c[j] as number) * (out[t - j] as number);
    out[t] = -acc / c0;
  }
  return out;
}

/** The product LTToep(c) · x for a vector `x` (missing coefficients count as zero). Cost O(n · c.length). */
export function toeplitzApply(c: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  assertFiniteArray('c', c, { minLength: 1 });
  assertFiniteArray('x', x, { minLength: 1 });
  const n = x.length;
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let acc = 0;
    const top = Math.min(t, c.length - 1);
    for (let j = 0; j <= top; j++) acc += (c[j] as number) * (x[t - j] as number);
    out[t] = acc;
  }
  return out;
}

/** Solves LTToep(c) · x = y for `x` by forward substitution (`c_0` non-zero). Cost O(n · c.length). */
export function toeplitzSolve(c: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  assertFiniteArray('c', c, { minLength: 1 });
  assertFiniteArray('y', y, { minLength: 1 });
  const c0 = c[0] as number;
  if (c0 === 0) throw new RangeError('c[0] must be non-zero for the Toeplitz matrix to be invertible');
  const n = y.length;
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let acc = y[t] as number;
    const top = Math.min(t, c.length - 1);
    for (let j = 1; j <= top; j++) acc -= (c[j] as number) * (out[t - j] as number);
    out[t] = acc / c0;
  }
  return out;
}

/**
 * The dense `steps × steps` matrix LTToep(c) as an array of rows, for tests and small examples only
 * (`steps` at most 4096).
 */
export function toeplitzMatrix(c: ArrayLike<number>, steps?: number): Float64Array[] {
  assertFiniteArray('c', c, { minLength: 1 });
  const n = lengthOrDefault('steps', steps, c.length);
  assertInteger('steps', n, 1, 4096);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(n);
    for (let j = 0; j <= i; j++) row[j] = coefficientAt(c, i - j);
    rows.push(row);
  }
  return rows;
}

/** Cumulative sums of `c`: the coefficients of LTToep(ones) · LTToep(c), i.e. the prefix-sum workload times C. */
export function prefixSums(c: ArrayLike<number>): Float64Array {
  assertFiniteArray('c', c);
  const out = new Float64Array(c.length);
  let acc = 0;
  for (let i = 0; i < c.length; i++) {
    acc += c[i] as number;
    out[i] = acc;
  }
  return out;
}
