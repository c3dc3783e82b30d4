/**
 * Geometric sums in the complement variable v = 1 - x, accurate when x sits within 1e-10 of 1 (where
 * 1 - x^m would cancel catastrophically). Each comes with its derivative in v, for exact gradients.
 *
 * - `geometricSum(v, m)`   E = Σ_{t<m} x^t = (1 - x^m)/v              = Σ_k (-v)^k C(m, k+1)
 * - `weightedGeometricSum(v, n)` W = Σ_{j<n} (n-j) x^j = (n - x E(v, n))/v = Σ_k (-v)^k C(n+1, k+2)
 *
 * The binomial series (hockey-stick identity) is used when m·v < 1, where it converges fast and the closed
 * form would lose digits; otherwise the closed form with expm1/log1p.
 */

/** Value and derivative with respect to v. */
export interface ValueAndSlope {
  /** The value. */
  value: number;
  /** Its derivative with respect to v = 1 - x. */
  slope: number;
}

function power(v: number, m: number, logX: number): number {
  // x^m for x = 1 - v, keeping relative precision of small v.
  return v < 1 ? Math.exp(m * logX) : (1 - v) ** m;
}

/** Σ_k (-v)^k C(top, k + shift) and its v-derivative, for top·v < 1. */
function binomialSeries(v: number, top: number, shift: number): ValueAndSlope {
  // term_k = (-v)^k C(top, k + shift); term_{k+1}/term_k = -v (top - k - shift)/(k + shift + 1).
  let coefficient = 1;
  for (let i = 0; i < shift; i++) coefficient = (coefficient * (top - i)) / (i + 1);
  let value = coefficient;
  let slope = 0;
  let vPower = 1; // (-v)^k
  for (let k = 0; k < 200; k++) {
    const factor = (top - k - shift) / (k + shift + 1);
    if (factor <= 0) break;
    coefficient *= factor;
    // next term index k + 1
    const slopeTerm = -(k + 1) * vPower * coefficient;
    vPower *= -v;
    const term = vPower * coefficient;
    value += term;
    slope += slopeTerm;
    if (Math.abs(term) <= 1e-18 * Math.abs(value) && Math.abs(slopeTerm) <= 1e-18 * Math.abs(slope)) break;
  }
  return { value, slope };
}

/**
 * E(v, m) = Σ_{t<m} (1-v)^t for an integer m ≥ 0 and v in (0, 2), with dE/dv. `logX` may pass a precomputed
 * log(1 - v) (for v < 1), e.g. log θ_i + log θ_j computed from the complements without rounding 1 - v.
 */
export function geometricSum(v: number, m: number, logX: number = Math.log1p(-v)): ValueAndSlope {
  if (m <= 0) return { value: 0, slope: 0 };
  if (m * v < 1) return binomialSeries(v, m, 1);
  const value = v < 1 ? -Math.expm1(m * logX) / v : (1 - power(v, m, logX)) / v;
  const slope = (m * power(v, m - 1, logX) - value) / v;
  return { value, slope };
}

/** W(v, n) = Σ_{j<n} (n - j)(1-v)^j for an integer n ≥ 0 and v in (0, 2), with dW/dv. */
export function weightedGeometricSum(v: number, n: number, logX: number = Math.log1p(-v)): ValueAndSlope {
  if (n <= 0) return { value: 0, slope: 0 };
  if (n * v < 1) return binomialSeries(v, n + 1, 2);
  const e = geometricSum(v, n, logX);
  const x = 1 - v;
  const value = (n - x * e.value) / v;
  // v W = n - x E  ⇒  W + v W' = E - x E'.
  const slope = (e.value - x * e.slope - value) / v;
  return { value, slope };
}
