import {
  DpOptimizer,
  type DpOptimizerOptions,
  type DpOptimizerStateBase,
  type StepContext,
} from './dp-optimizer';
import { adamBcUpdate } from './update-rules';
import { assertInRange, assertNonNegative, assertPositive } from './validate';

/** Options of {@link DpAdamBc}. */
export interface DpAdamBcOptions extends DpOptimizerOptions {
  /** First-moment decay in [0, 1) (default 0.9). */
  readonly beta1?: number;
  /** Second-moment decay in [0, 1) (default 0.999). */
  readonly beta2?: number;
  /** Added to the root of the corrected second moment, `> 0` (default 1e-8). */
  readonly epsilon?: number;
  /**
   * Floor of the corrected second moment after the noise variance is subtracted, `>= 0` (default 1e-8,
   * the scale DP-AdamBC uses). It bounds the step size where the noise explains all of the variance.
   */
  readonly varianceFloor?: number;
  /** Decoupled (AdamW-style) weight decay `>= 0` (default 0). */
  readonly weightDecay?: number;
}

/** Exported state of a {@link DpAdamBc}. */
export interface DpAdamBcState extends DpOptimizerStateBase {
  /** Which optimizer wrote the state. */
  readonly kind: 'dp-adam-bc';
  /** First moments per variable. */
  readonly firstMoment: readonly Float32Array[];
  /** Second moments per variable. */
  readonly secondMoment: readonly Float32Array[];
  /** Un-bias-corrected EMA of the per-coordinate noise variance of the averaged gradient. */
  readonly noiseVarianceAverage: number;
}

/**
 * Adam with bias correction for DP noise (DP-AdamBC, Tang et al. 2024), extended to correlated noise:
 * the averaged noisy gradient `(gradientSum_t + noise_t) / B_t` carries noise of known per-coordinate
 * variance `V_t = (maxGradNorm * noiseMultiplier * sensitivity / B_t)^2 * sum_j (C^-1)_{t,j}^2` (constant
 * for DP-SGD, time-varying for correlated noise). Its EMA with Adam's `beta2`, bias-corrected, is
 * subtracted from the bias-corrected second moment, floored at `varianceFloor`. The correction uses only
 * public quantities, so it costs no privacy. With zero noise and a zero floor it is tfjs' Adam.
 */
export class DpAdamBc extends DpOptimizer {
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Denominator offset. */
  readonly epsilon: number;
  /** Floor of the corrected second moment. */
  readonly varianceFloor: number;
  /** Decoupled weight decay coefficient. */
  readonly weightDecay: number;
  #firstMoment: Float32Array[];
  #secondMoment: Float32Array[];
  #noiseVarianceAverage = 0;

  /** Builds the optimizer; throws a `RangeError`/`TypeError` naming any bad option. */
  constructor(options: DpAdamBcOptions) {
    super(options);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, varianceFloor = 1e-8, weightDecay = 0 } = options;
    assertInRange('beta1', beta1, { min: 0, max: 1, maxExclusive: true });
    assertInRange('beta2', beta2, { min: 0, max: 1, maxExclusive: true });
    assertPositive('epsilon', epsilon);
    assertNonNegative('varianceFloor', varianceFloor);
    assertNonNegative('weightDecay', weightDecay);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.varianceFloor = varianceFloor;
    this.weightDecay = weightDecay;
    this.#firstMoment = this.variables.map((v) => new Float32Array(v.size));
    this.#secondMoment = this.variables.map((v) => new Float32Array(v.size));
  }

  /**
   * The bias-corrected noise-variance estimate subtracted at the last step (0 before the first step):
   * `sum_{s<=t} (1 - beta2) beta2^(t-s) V_s / (1 - beta2^t)`.
   */
  get noiseVarianceEstimate(): number {
    if (this.iterations === 0) return 0;
    return this.#noiseVarianceAverage / (1 - this.beta2 ** this.iterations);
  }

  protected override applyStep(context: StepContext): void {
    const t = context.step + 1;
    const stepVariance = this.noise.lastVariance / (context.normaliser * context.normaliser);
    this.#noiseVarianceAverage = this.beta2 * this.#noiseVarianceAverage + (1 - this.beta2) * stepVariance;
    const secondBiasCorrection = 1 - this.beta2 ** t;
    const hyper = {
      learningRate: context.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      firstBiasCorrection: 1 - this.beta1 ** t,
      secondBiasCorrection,
      noiseVarianceEstimate: this.#noiseVarianceAverage / secondBiasCorrection,
      varianceFloor: this.varianceFloor,
      weightDecay: this.weightDecay,
    };
    context.params.forEach((params, i) => {
      adamBcUpdate(
        params,
        context.gradientSums[i] as Float32Array,
        context.noise,
        this.offsets[i] as number,
        context.normaliser,
        hyper,
        this.#firstMoment[i] as Float32Array,
        this.#secondMoment[i] as Float32Array,
      );
    });
  }

  /** Exact copy of the state (noise buffers, generator, step, moments); keep it secret. */
  exportState(): DpAdamBcState {
    return {
      kind: 'dp-adam-bc',
      ...this.exportBase(),
      firstMoment: this.#firstMoment.map((m) => new Float32Array(m)),
      secondMoment: this.#secondMoment.map((v) => new Float32Array(v)),
      noiseVarianceAverage: this.#noiseVarianceAverage,
    };
  }

  /** Restores a state exported by a `DpAdamBc` with the same variable shapes and settings. */
  restoreState(state: DpAdamBcState): void {
    if (state?.kind !== 'dp-adam-bc') throw new TypeError("state.kind must be 'dp-adam-bc'");
    this.restoreBase(state, () => {
      const firstMoment = this.copyBuffers('firstMoment', state.firstMoment);
      const secondMoment = this.copyBuffers('secondMoment', state.secondMoment);
      assertNonNegative('state.noiseVarianceAverage', state.noiseVarianceAverage);
      return () => {
        this.#firstMoment = firstMoment;
        this.#secondMoment = secondMoment;
        this.#noiseVarianceAverage = state.noiseVarianceAverage;
      };
    });
  }
}
