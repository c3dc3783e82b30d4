/**
 * The per-coordinate update rules of {@link DpSgd} and {@link DpAdamBc} as pure functions over flat
 * arrays, apart from the stateful optimizers so that they can be checked on their own. Arithmetic runs
 * in float64 and is stored back in float32, the precision of the model.
 */

/** Numeric arrays the rules read: a gradient sum from tfjs, or a slice of the noise vector. */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The hyper-parameters of one SGD step. */
export interface SgdStepParameters {
  /** Step size at this step. */
  readonly learningRate: number;
  /** Heavy-ball momentum coefficient in [0, 1); 0 disables the velocity. */
  readonly momentum: number;
  /** Nesterov's variant of momentum. */
  readonly nesterov: boolean;
  /** L2 penalty coefficient: `weightDecay * param` is added to the averaged gradient. */
  readonly weightDecay: number;
}

/**
 * One SGD step on a parameter block, in place:
 * `g = (gradientSum + noise) / normaliser + weightDecay * p`, then with momentum
 * `v = momentum * v + g` and `p -= learningRate * (nesterov ? g + momentum * v : v)`, without
 * `p -= learningRate * g` (the conventions of tfjs' `MomentumOptimizer` and PyTorch's SGD).
 *
 * @param params - Parameter values, updated in place.
 * @param gradientSum - Clipped gradient sum for this block, same length as `params`.
 * @param noise - Noise vector holding this block at `noiseOffset`.
 * @param noiseOffset - Index of this block's first coordinate in `noise`.
 * @param normaliser - The divisor of the noisy sum (expected or actual batch size).
 * @param step - Hyper-parameters of this step.
 * @param velocity - Momentum buffer, updated in place; required when `step.momentum > 0`.
 */
export function sgdUpdate(
  params: Float32Array,
  gradientSum: NumericArray,
  noise: Float64Array | Float32Array,
  noiseOffset: number,
  normaliser: number,
  step: SgdStepParameters,
  velocity: Float32Array | null,
): void {
  const { learningRate, momentum, nesterov, weightDecay } = step;
  const inverseNormaliser = 1 / normaliser;
  const n = params.length;
  if (momentum > 0 && velocity !== null) {
    for (let i = 0; i < n; i++) {
      const p = params[i] as number;
      const g =
        ((gradientSum[i] as number) + (noise[noiseOffset + i] as number)) * inverseNormaliser +
        weightDecay * p;
      const v = Math.fround(momentum * (velocity[i] as number) + g);
      velocity[i] = v;
      params[i] = p - learningRate * (nesterov ? g + momentum * v : v);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const p = params[i] as number;
      const g =
        ((gradientSum[i] as number) + (noise[noiseOffset + i] as number)) * inverseNormaliser +
        weightDecay * p;
      params[i] = p - learningRate * g;
    }
  }
}

/** The hyper-parameters of one DP-AdamBC step. */
export interface AdamBcStepParameters {
  /** Step size at this step. */
  readonly learningRate: number;
  /** Decay of the first moment, in [0, 1). */
  readonly beta1: number;
  /** Decay of the second moment, in [0, 1). */
  readonly beta2: number;
  /** Added to the square root of the corrected second moment. */
  readonly epsilon: number;
  /** `1 - beta1^t` at the 1-based step t. */
  readonly firstBiasCorrection: number;
  /** `1 - beta2^t` at the 1-based step t. */
  readonly secondBiasCorrection: number;
  /**
   * The bias-corrected EMA of the per-coordinate noise variance of the averaged gradient,
   * `sum_{s<=t} (1 - beta2) beta2^(t-s) V_s / (1 - beta2^t)`; subtracted from the second moment.
   */
  readonly noiseVarianceEstimate: number;
  /** Lower bound on the corrected second moment (>= 0). */
  readonly varianceFloor: number;
  /** Decoupled weight decay: `p -= learningRate * weightDecay * p` before the Adam step. */
  readonly weightDecay: number;
}

/**
 * One DP-AdamBC step on a parameter block, in place: `g = (gradientSum + noise) / normaliser`,
 * `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`, then
 * `p -= learningRate * (m / c1) / (sqrt(max(v / c2 - noiseVarianceEstimate, varianceFloor)) + epsilon)`.
 * With `noiseVarianceEstimate = 0` and `varianceFloor = 0` this is Adam as tfjs computes it.
 *
 * @param params - Parameter values, updated in place.
 * @param gradientSum - Clipped gradient sum for this block, same length as `params`.
 * @param noise - Noise vector holding this block at `noiseOffset`.
 * @param noiseOffset - Index of this block's first coordinate in `noise`.
 * @param normaliser - The divisor of the noisy sum (expected or actual batch size).
 * @param step - Hyper-parameters of this step.
 * @param firstMoment - First-moment buffer, updated in place.
 * @param secondMoment - Second-moment buffer, updated in place.
 */
export function adamBcUpdate(
  params: Float32Array,
  gradientSum: NumericArray,
  noise: Float64Array | Float32Array,
  noiseOffset: number,
  normaliser: number,
  step: AdamBcStepParameters,
  firstMoment: Float32Array,
  secondMoment: Float32Array,
): void {
  const { beta1, beta2, epsilon, noiseVarianceEstimate, varianceFloor } = step;
  const inverseNormaliser = 1 / normaliser;
  const inverseSecond = 1 / step.secondBiasCorrection;
  const stepScale = step.learningRate / step.firstBiasCorrection;
  const keep = 1 - step.learningRate * step.weightDecay;
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  const n = params.length;
  for (let i = 0; i < n; i++) {
    const g = ((gradientSum[i] as number) + (noise[noiseOffset + i] as number)) * inverseNormaliser;
    const m = Math.fround(beta1 * (firstMoment[i] as number) + oneMinusBeta1 * g);
    const v = Math.fround(beta2 * (secondMoment[i] as number) + oneMinusBeta2 * g * g);
    firstMoment[i] = m;
    secondMoment[i] = v;
    let corrected = v * inverseSecond - noiseVarianceEstimate;
    if (!(corrected >= varianceFloor)) corrected = varianceFloor;
    params[i] = (params[i] as number) * keep - (stepScale * m) / (Math.sqrt(corrected) + epsilon);
  }
}
