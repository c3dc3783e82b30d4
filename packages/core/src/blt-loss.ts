/**
 * Closed forms for the sensitivity and the prefix-sum error of a BLT, in O(k_eff · d²) and O(d²) operations
 * instead of O(n), with exact gradients. Everything is written in the complements u = 1 - θ (and û = 1 - θ̂)
 * so that decays within 1e-10 of 1 keep their precision.
 *
 * Sensitivity (c non-negative, non-increasing; worst pattern 0, b, …, (K-1)b with K = k_eff):
 *   sens² = Σ_{p,q<K} G(|p-q| b, n - max(p,q) b),   G(Δ, L) = Σ_{t<L} c_{t+Δ} c_t.
 * For a BLT, with x_ij = θ_iθ_j, E(v, m) = Σ_{t<m} (1-v)^t, a_i = θ_i^b and F_i(q) = Σ_{m<q} a_i^m:
 *   G(0, L)  = 1 + Σ_ij ω_iω_j E(1 - x_ij, L - 1)
 *   G(Δ, L)  = c_Δ + Σ_ij ω_iω_j θ_i^Δ E(1 - x_ij, L - 1)     (Δ ≥ 1)
 * and grouping the pairs p < q by the later participation q (L_q = n - qb):
 *   sens² = K + Σ_q Σ_ij ω_iω_j E(1 - x_ij, L_q - 1) (1 + 2 a_i F_i(q)) + 2 Σ_q Σ_i ω_i θ_i^(b-1) F_i(q).
 *
 * Error: the coefficients of C⁻¹ are those of the inverse BLT (θ̂, ω̂), so the prefix sums are
 * b_j = β - Σ_i g_i θ̂_i^j with g_i = ω̂_i/û_i and β = 1/c(1) = Π u_i / Π û_i, and
 *   max error  = Σ_{j<n} b_j² = n β² - 2β Σ_i g_i E(û_i, n) + Σ_ij g_i g_j E(1 - θ̂_iθ̂_j, n)
 *   mean error = Σ_{j<n} (n-j)/n b_j²: the same with n → (n+1)/2 and E(v, n) → W(v, n)/n,
 *   W(v, n) = Σ_{j<n} (n-j)(1-v)^j.
 */
import { Blt, bltInverseParameters } from './blt';
import { type LossSummary, lossSummary, prefixSumError } from './error';
import { geometricSum, weightedGeometricSum } from './geometric';
import { type Participation, resolveParticipation } from './participation';
import { sensitivity } from './sensitivity';
import { bltStrategy } from './strategies';
import { assertInteger } from './validate';

/**
 * sens² of the BLT with complements `u` and output scales `omega` (assumed to give non-negative,
 * non-increasing coefficients when `participations` > 1). Adds ∂sens²/∂u (explicit, ω fixed) and ∂sens²/∂ω
 * into the optional gradient arrays.
 */
export function bltSensitivitySquared(
  u: Float64Array,
  omega: Float64Array,
  steps: number,
  minSeparation: number,
  participations: number,
  gradU?: Float64Array,
  gradOmega?: Float64Array,
): number {
  const d = u.length;
  const b = minSeparation;
  const logTheta = new Float64Array(d);
  const theta = new Float64Array(d);
  const thetaB1 = new Float64Array(d); // θ^(b-1)
  const dThetaB1 = new Float64Array(d); // d θ^(b-1) / du
  const alpha = new Float64Array(d); // 1 - θ^b
  const aPow = new Float64Array(d); // θ^b
  for (let i = 0; i < d; i++) {
    const ui = u[i] as number;
    const lt = Math.log1p(-ui);
    logTheta[i] = lt;
    theta[i] = 1 - ui;
    thetaB1[i] = Math.exp((b - 1) * lt);
    dThetaB1[i] = b === 1 ? 0 : (-(b - 1) * (thetaB1[i] as number)) / (1 - ui);
    alpha[i] = -Math.expm1(b * lt);
    aPow[i] = Math.exp(b * lt);
  }
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const ui = u[i] as number;
      const uj = u[j] as number;
      v[i * d + j] = ui + uj - ui * uj;
    }
  }
  const withGradient = gradU !== undefined && gradOmega !== undefined;
  const A = new Float64Array(d);
  const dA = new Float64Array(d);
  const F = new Float64Array(d);
  const dF = new Float64Array(d);
  let total = participations;
  for (let q = 0; q < participations; q++) {
    const m = steps - q * b - 1;
    for (let i = 0; i < d; i++) {
      if (q === 0) {
        F[i] = 0;
        dF[i] = 0;
        A[i] = 0;
        dA[i] = 0;
        continue;
      }
      const f = geometricSum(alpha[i] as number, q);
      const chain = b * (thetaB1[i] as number); // d alpha / du
      F[i] = f.value;
      dF[i] = f.slope * chain;
      A[i] = (aPow[i] as number) * f.value;
      dA[i] = -chain * f.value + (aPow[i] as number) * f.slope * chain;
    }
    for (let i = 0; i < d; i++) {
      const wi = omega[i] as number;
      const factor = 1 + 2 * (A[i] as number);
      for (let j = 0; j < d; j++) {
        const wj = omega[j] as number;
        const e = geometricSum(v[i * d + j] as number, m, (logTheta[i] as number) + (logTheta[j] as number));
        const w = wi * wj;
        total += w * e.value * factor;
        if (withGradient) {
          gradOmega[i] = (gradOmega[i] as number) + wj * e.value * factor;
          gradOmega[j] = (gradOmega[j] as number) + wi * e.value * factor;
          gradU[i] =
            (gradU[i] as number) +
            w * e.slope * (theta[j] as number) * factor +
            w * e.value * 2 * (dA[i] as number);
          gradU[j] = (gradU[j] as number) + w * e.slope * (theta[i] as number) * factor;
        }
      }
      const tb = thetaB1[i] as number;
      total += 2 * wi * tb * (F[i] as number);
      if (withGradient) {
        gradOmega[i] = (gradOmega[i] as number) + 2 * tb * (F[i] as number);
        gradU[i] =
          (gradU[i] as number) +
          2 * wi * ((dThetaB1[i] as number) * (F[i] as number) + tb * (dF[i] as number));
      }
    }
  }
  return total;
}

/**
 * Max or mean error of the prefix-sum workload for C⁻¹ = the BLT with complements `uHat` (1 - θ̂) and output
 * scales `omegaHat`, given β = 1/c(1) (the sum of all coefficients of C⁻¹ as n → ∞). Adds the explicit
 * derivatives into the optional gradient arrays and returns ∂error/∂β beside the value.
 */
export function bltErrorTerms(
  uHat: Float64Array,
  omegaHat: Float64Array,
  beta: number,
  steps: number,
  kind: 'max' | 'mean',
  gradUHat?: Float64Array,
  gradOmegaHat?: Float64Array,
): { value: number; dBeta: number } {
  const d = uHat.length;
  const n = steps;
  const mean = kind === 'mean';
  const p0 = mean ? (n + 1) / 2 : n;
  const sum = (v: number, logX: number) => {
    if (!mean) return geometricSum(v, n, logX);
    const w = weightedGeometricSum(v, n, logX);
    return { value: w.value / n, slope: w.slope / n };
  };
  const g = new Float64Array(d);
  const dg = new Float64Array(d);
  const dU = new Float64Array(d);
  const logThetaHat = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    g[i] = (omegaHat[i] as number) / (uHat[i] as number);
    const uh = uHat[i] as number;
    logThetaHat[i] = uh < 1 ? Math.log1p(-uh) : Number.NaN;
  }
  let value = p0 * beta * beta;
  let dBeta = 2 * p0 * beta;
  for (let i = 0; i < d; i++) {
    const s = sum(uHat[i] as number, logThetaHat[i] as number);
    const gi = g[i] as number;
    value -= 2 * beta * gi * s.value;
    dBeta -= 2 * gi * s.value;
    dg[i] = (dg[i] as number) - 2 * beta * s.value;
    dU[i] = (dU[i] as number) - 2 * beta * gi * s.slope;
    for (let j = 0; j < d; j++) {
      const ui = uHat[i] as number;
      const uj = uHat[j] as number;
      const vij = ui + uj - ui * uj;
      const sij = sum(vij, (logThetaHat[i] as number) + (logThetaHat[j] as number));
      const gj = g[j] as number;
      value += gi * gj * sij.value;
      dg[i] = (dg[i] as number) + gj * sij.value;
      dg[j] = (dg[j] as number) + gi * sij.value;
      dU[i] = (dU[i] as number) + gi * gj * sij.slope * (1 - uj);
      dU[j] = (dU[j] as number) + gi * gj * sij.slope * (1 - ui);
    }
  }
  if (gradUHat !== undefined && gradOmegaHat !== undefined) {
    for (let i = 0; i < d; i++) {
      const uh = uHat[i] as number;
      gradOmegaHat[i] = (gradOmegaHat[i] as number) + (dg[i] as number) / uh;
      gradUHat[i] = (gradUHat[i] as number) + (dU[i] as number) - ((dg[i] as number) * (g[i] as number)) / uh;
    }
  }
  return { value, dBeta };
}

/** Options of {@link bltLoss}. */
export interface BltLossOptions {
  /** Number of training steps n (≥ 1). */
  readonly steps: number;
  /** The participation pattern the sensitivity must cover. */
  readonly participation: Participation;
}

/**
 * Sensitivity, max/mean prefix-sum error and the two losses of a BLT by the closed forms (cost independent of
 * n for single participation, O(k_eff · d²) otherwise). When the BLT's coefficients are not guaranteed to be
 * non-negative and non-increasing (some ω_i < 0 or Σ ω_i > 1) and several participations are possible, the
 * sensitivity falls back to the O(n) {@link sensitivity} on the coefficients (with its documented bound).
 */
export function bltLoss(blt: Blt, options: BltLossOptions): LossSummary {
  const { steps } = options;
  const sens = bltSensitivity(blt, steps, options.participation);
  const scales = blt.outputScales;
  const u = Float64Array.from(blt.decays, (t) => 1 - t);
  if (scales.every((w) => w === 0)) return lossSummary(sens, steps, (steps + 1) / 2);
  const inverse = bltInverseParameters(blt);
  const keep = Array.from(scales.keys()).filter((i) => scales[i] !== 0);
  // β = 1/c(1) = 1/(1 + Σ ω_i/u_i).
  let c1 = 1;
  for (const i of keep) c1 += (scales[i] as number) / (u[i] as number);
  const beta = 1 / c1;
  const uHat = inverse.complements;
  if (!Number.isFinite(beta) || uHat.some((s) => !(s > 0 && s < 2))) {
    // An inverse decay with |θ̂| ≥ 1: C⁻¹ does not decay and the geometric closed forms do not apply.
    const direct = prefixSumError(bltStrategy(blt).inverseCoefficients(steps));
    return lossSummary(sens, direct.maxError, direct.meanError);
  }
  const maxError = bltErrorTerms(uHat, inverse.outputScales, beta, steps, 'max').value;
  const meanError = bltErrorTerms(uHat, inverse.outputScales, beta, steps, 'mean').value;
  return lossSummary(sens, maxError, meanError);
}

/**
 * Sensitivity of a BLT for `steps` steps under `participation`: the closed form (cost O(k_eff · d²)) when the
 * coefficients are non-negative and non-increasing (all ω_i ≥ 0 and Σ ω_i ≤ 1) or for single participation;
 * otherwise the O(n) {@link sensitivity} of the coefficients with its documented upper bound.
 */
export function bltSensitivity(blt: Blt, steps: number, participation: Participation): number {
  if (!(blt instanceof Blt)) throw new TypeError('blt must be a Blt');
  assertInteger('steps', steps, 1);
  const resolved = resolveParticipation(participation, steps);
  const scales = blt.outputScales;
  const u = Float64Array.from(blt.decays, (t) => 1 - t);
  let scaleSum = 0;
  let positive = true;
  for (const w of scales) {
    scaleSum += w;
    if (w < 0) positive = false;
  }
  if (resolved.effectiveParticipations === 1 || (positive && scaleSum <= 1)) {
    return Math.sqrt(
      bltSensitivitySquared(u, scales, steps, resolved.minSeparation, resolved.effectiveParticipations),
    );
  }
  return sensitivity(blt.coefficients(steps), participation);
}
