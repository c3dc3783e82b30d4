/**
 * Sensitivity of a lower-triangular Toeplitz strategy C (clip norm 1): the largest Frobenius norm of
 * C applied to the difference of two neighbouring gradient sequences, over every participation pattern allowed.
 */
import { type Participation, resolveParticipation } from './participation';
import { assertFiniteArray } from './validate';

/** True when c_0 ≥ c_1 ≥ … ≥ 0, the case in which the worst participation pattern is known in closed form. */
export function isNonNegativeNonIncreasing(coefficients: ArrayLike<number>): boolean {
  for (let i = 0; i < coefficients.length; i++) {
    const c = coefficients[i] as number;
    if (c < 0) return false;
    if (i > 0 && c > (coefficients[i - 1] as number)) return false;
  }
  return true;
}

/**
 * The smallest non-negative, non-increasing sequence above |c|: m_j = max_{i ≥ j} |c_i| (absolute values,
 * then a running maximum from the end). Its sensitivity bounds that of c from above.
 */
export function nonIncreasingMajorant(coefficients: ArrayLike<number>): Float64Array {
  const out = new Float64Array(coefficients.length);
  let running = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) {
    running = Math.max(running, Math.abs(coefficients[i] as number));
    out[i] = running;
  }
  return out;
}

/** Σ_t v_t² for v = Σ_{i<k} c shifted by offset + i·b (the column sum of one participation pattern). */
function patternNormSquared(c: ArrayLike<number>, offset: number, separation: number, count: number): number {
  const n = c.length;
  // v_t = v_{t-b} + c_{t-offset} - c_{t-offset-k b}: O(n) instead of O(n k).
  const v = new Float64Array(n);
  let total = 0;
  for (let t = offset; t < n; t++) {
    const lag = t - offset;
    let value = c[lag] as number;
    if (lag >= separation) {
      value += v[t - separation] as number;
      const dropped = lag - count * separation;
      if (dropped >= 0) value -= c[dropped] as number;
    }
    v[t] = value;
    total += value * value;
  }
  return total;
}

/**
 * Sensitivity of LTToep(c) for `c.length` steps under `participation` (clip norm 1).
 *
 * - Single participation: the largest column norm, ‖c‖₂ (exact for any c).
 * - (b, k)-min-separation with c non-negative and non-increasing: exact; the worst pattern is
 *   {0, b, …, (k_eff - 1) b} with k_eff = min(k, ⌈n/b⌉).
 * - Cyclic with c non-negative: exact, the worst offset over all b offsets (offset 0 when c is non-increasing).
 * - Otherwise (negative or increasing coefficients): the same formula applied to the non-increasing majorant
 *   of |c| ({@link nonIncreasingMajorant}), a documented upper bound. Sensitivity may be over-estimated there,
 *   never under-estimated.
 */
export function sensitivity(coefficients: ArrayLike<number>, participation: Participation): number {
  assertFiniteArray('coefficients', coefficients, { minLength: 1 });
  const n = coefficients.length;
  const resolved = resolveParticipation(participation, n);
  const b = resolved.minSeparation;
  const k = resolved.effectiveParticipations;
  if (k === 1) {
    let total = 0;
    for (let i = 0; i < n; i++) total += (coefficients[i] as number) ** 2;
    return Math.sqrt(total);
  }
  const monotone = isNonNegativeNonIncreasing(coefficients);
  if (resolved.kind === 'cyclic' && !monotone && nonNegative(coefficients)) {
    let worst = 0;
    for (let offset = 0; offset < Math.min(b, n); offset++) {
      worst = Math.max(worst, patternNormSquared(coefficients, offset, b, k));
    }
    return Math.sqrt(worst);
  }
  const c = monotone ? coefficients : nonIncreasingMajorant(coefficients);
  return Math.sqrt(patternNormSquared(c, 0, b, k));
}

function nonNegative(c: ArrayLike<number>): boolean {
  for (let i = 0; i < c.length; i++) if ((c[i] as number) < 0) return false;
  return true;
}
