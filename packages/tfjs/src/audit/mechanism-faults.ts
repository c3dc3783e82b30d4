/**
 * Deliberately broken mechanisms, for the audit's own tests only (never an option of the engine or of the audit):
 * each under-reports epsilon the way a real bug would, and a working audit must flag it.
 * - `'iid-noise'`: i.i.d. noise `σ ζ z_t` at the noise multiplier σ the correlated mode's accounting calibrated,
 *   without its C⁻¹ and its sensitivity: correlated noise claimed, DP-SGD noise shipped. An example in k steps then
 *   has μ = √k / σ instead of the claimed 1 / σ.
 * - `'dropped-cross-terms'`: the noise of a correlated mode calibrated to the sensitivity without the cross terms
 *   of the participations, `√(Σ_i ‖C e_{t_i}‖²)` instead of `‖C Σ_i e_{t_i}‖` (worst pattern: one participation
 *   per epoch from step 0).
 * - `'no-clipping'`: the canaries' gradients are added as they are, not clipped to the clipping norm (give the
 *   audit canaries larger than the norm to see it).
 */
import { fillGaussian, SeededRandom } from '@cnm/sampler';
import type { PrivacyReport } from '../privacy-report';

/** A broken mechanism the audit's tests can ask for. */
export type MechanismFault = 'iid-noise' | 'dropped-cross-terms' | 'no-clipping';

/**
 * The sensitivity of C with the cross terms dropped: `√(Σ_{i<k} Σ_{j<n−ib} c_j²)` for participations at steps
 * 0, b, ..., (k − 1) b of an n-step run.
 */
export function sensitivityWithoutCrossTerms(
  coefficients: Float64Array,
  steps: number,
  separation: number,
  participations: number,
): number {
  let total = 0;
  for (let i = 0; i < participations && i * separation < steps; i++) {
    for (let j = 0; j < steps - i * separation; j++) total += (coefficients[j] as number) ** 2;
  }
  return Math.sqrt(total);
}

/** How the fault rewrites each step's noise in place, or undefined when it leaves the noise alone. */
export function faultyNoise(
  fault: MechanismFault | undefined,
  report: PrivacyReport,
  coefficients: Float64Array,
  seed: number,
): ((noise: Float64Array) => void) | undefined {
  if (fault === undefined || fault === 'no-clipping') return undefined;
  if (report.accounting !== 'gaussian' || report.noiseSensitivity === 1) {
    throw new RangeError(`the '${fault}' fault needs a correlated mode accounted as one Gaussian mechanism`);
  }
  if (fault === 'iid-noise') {
    const random = SeededRandom.fromSeed(seed);
    const sd = report.gradientNoiseMultiplier * report.clipNorm;
    return (noise) => fillGaussian(noise, sd, random);
  }
  const { totalSteps, stepsPerEpoch, epochs } = report.run;
  const scale =
    sensitivityWithoutCrossTerms(coefficients, totalSteps, stepsPerEpoch, epochs) / report.noiseSensitivity;
  return (noise) => {
    for (let i = 0; i < noise.length; i++) noise[i] = (noise[i] as number) * scale;
  };
}
