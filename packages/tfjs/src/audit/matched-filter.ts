/**
 * The white-box score of a gradient canary: a matched filter on the released noisy sums. A run releases
 * `x = g + s C⁻¹ z` over its steps (per coordinate), so `C x = C g + s z` carries i.i.d. noise; a canary of norm
 * ζ adds `ζ p` to its own coordinate (p its expected participation over the steps), hence `ζ C p` to `C x`. The
 * log-likelihood ratio of "in" against "out" is then `(ζ/s²)(⟨C p, C x⟩ − ζ ‖C p‖² / 2)`, and the score is it
 * without the factor ζ/s², which is the same for every canary. With C = I and a fixed batch order it is the sum
 * of the released sums on the canary's steps, shifted by a constant.
 */

/** Applies the lower-triangular Toeplitz matrix of `coefficients` (c_0, c_1, ...) to `x` (of the same length). */
export function applyToeplitz(coefficients: Float64Array, x: Float64Array): Float64Array {
  const n = x.length;
  if (coefficients.length < n) {
    throw new RangeError(`internal: ${n} coefficients of C needed, got ${coefficients.length}`);
  }
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const c = coefficients[j] as number;
    // Banded and identity strategies are mostly zeros.
    if (c === 0) continue;
    for (let t = j; t < n; t++) y[t] = (y[t] as number) + c * (x[t - j] as number);
  }
  return y;
}

/** What the scores are computed from. */
export interface MatchedFilterInput {
  /** Coefficients of the strategy C (at least as many as steps). */
  readonly coefficients: Float64Array;
  /** For each canary, the released noisy sums at its coordinate over the steps. */
  readonly released: readonly Float64Array[];
  /** For each canary, its expected participation over the steps ({@link canaryPatterns}). */
  readonly patterns: readonly Float64Array[];
  /** Norm ζ of a canary's clipped contribution. */
  readonly canaryNorm: number;
}

/** The score of every canary, `⟨C p, C x⟩ − ζ ‖C p‖² / 2`: higher means more likely included. */
export function matchedFilterScores(input: MatchedFilterInput): Float64Array {
  const { coefficients, released, patterns, canaryNorm } = input;
  if (released.length !== patterns.length) {
    throw new RangeError(`internal: ${patterns.length} patterns for ${released.length} canaries`);
  }
  const scores = new Float64Array(released.length);
  released.forEach((x, i) => {
    const whitened = applyToeplitz(coefficients, x);
    const filter = applyToeplitz(coefficients, patterns[i] as Float64Array);
    let inner = 0;
    let norm2 = 0;
    for (let t = 0; t < x.length; t++) {
      inner += (filter[t] as number) * (whitened[t] as number);
      norm2 += (filter[t] as number) ** 2;
    }
    scores[i] = inner - (canaryNorm * norm2) / 2;
  });
  return scores;
}
