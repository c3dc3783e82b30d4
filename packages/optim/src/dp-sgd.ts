import {
  DpOptimizer,
  type DpOptimizerOptions,
  type DpOptimizerStateBase,
  type StepContext,
} from './dp-optimizer';
import { sgdUpdate } from './update-rules';
import { assertInRange, assertNonNegative } from './validate';

/** Options of {@link DpSgd}. */
export interface DpSgdOptions extends DpOptimizerOptions {
  /** Heavy-ball momentum in [0, 1) (default 0: plain SGD). */
  readonly momentum?: number;
  /** Nesterov momentum (default false); needs `momentum > 0`. */
  readonly nesterov?: boolean;
  /** L2 weight decay `>= 0` added to the averaged gradient as `weightDecay * param` (default 0). */
  readonly weightDecay?: number;
  /**
   * Decoupled weight decay `>= 0` (SGDW, Loshchilov & Hutter): every weight is multiplied by
   * `1 - learningRate * decoupledWeightDecay` before the step, apart from the gradient and the momentum (default 0).
   */
  readonly decoupledWeightDecay?: number;
}

/** Exported state of a {@link DpSgd}. */
export interface DpSgdState extends DpOptimizerStateBase {
  /** Which optimizer wrote the state. */
  readonly kind: 'dp-sgd';
  /** Momentum buffers per variable, or `null` without momentum. */
  readonly velocity: readonly Float32Array[] | null;
}

/**
 * Differentially private SGD with correlated noise: the step-t update uses
 * `(gradientSum_t + s (C^-1 z)_t) / normaliser` with `s = noiseMultiplier * maxGradNorm * sensitivity`,
 * with optional momentum, Nesterov momentum and weight decay. With the identity strategy this is DP-SGD;
 * with a BLT or banded strategy it is the matrix-factorisation mechanism. Momentum and weight decay are
 * post-processing of the noisy gradients and cost no privacy.
 */
export class DpSgd extends DpOptimizer {
  /** Momentum coefficient. */
  readonly momentum: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  /** L2 weight decay coefficient. */
  readonly weightDecay: number;
  /** Decoupled weight decay coefficient. */
  readonly decoupledWeightDecay: number;
  #velocity: Float32Array[] | null;

  /** Builds the optimizer; throws a `RangeError`/`TypeError` naming any bad option. */
  constructor(options: DpSgdOptions) {
    super(options);
    const { momentum = 0, nesterov = false, weightDecay = 0, decoupledWeightDecay = 0 } = options;
    assertInRange('momentum', momentum, { min: 0, max: 1, maxExclusive: true });
    if (typeof nesterov !== 'boolean') throw new TypeError('nesterov must be a boolean');
    if (nesterov && momentum === 0) throw new RangeError('nesterov needs momentum > 0, got momentum = 0');
    assertNonNegative('weightDecay', weightDecay);
    assertNonNegative('decoupledWeightDecay', decoupledWeightDecay);
    this.decoupledWeightDecay = decoupledWeightDecay;
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.#velocity = momentum > 0 ? this.variables.map((v) => new Float32Array(v.size)) : null;
  }

  protected override applyStep(context: StepContext): void {
    const hyper = {
      learningRate: context.learningRate,
      momentum: this.momentum,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
    const keep = 1 - context.learningRate * this.decoupledWeightDecay;
    context.params.forEach((params, i) => {
      if (keep !== 1) for (let j = 0; j < params.length; j++) params[j] = (params[j] as number) * keep;
      sgdUpdate(
        params,
        context.gradientSums[i] as Float32Array,
        context.noise,
        this.offsets[i] as number,
        context.normaliser,
        hyper,
        this.#velocity === null ? null : (this.#velocity[i] as Float32Array),
      );
    });
  }

  /** Exact copy of the state (noise buffers, generator, step, momentum); keep it secret. */
  exportState(): DpSgdState {
    return {
      kind: 'dp-sgd',
      ...this.exportBase(),
      velocity: this.#velocity === null ? null : this.#velocity.map((v) => new Float32Array(v)),
    };
  }

  /** Restores a state exported by a `DpSgd` with the same variables shapes and settings. */
  restoreState(state: DpSgdState): void {
    if (state?.kind !== 'dp-sgd') throw new TypeError("state.kind must be 'dp-sgd'");
    this.restoreBase(state, () => {
      if ((state.velocity === null) !== (this.#velocity === null)) {
        throw new RangeError(
          `state.velocity must be ${this.#velocity === null ? 'null (momentum = 0)' : 'buffers (momentum > 0)'}`,
        );
      }
      const velocity = state.velocity === null ? null : this.copyBuffers('velocity', state.velocity);
      return () => {
        this.#velocity = velocity;
      };
    });
  }
}
