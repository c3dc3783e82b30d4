import { type NamedTensorMap, type Optimizer, tensor } from '@tensorflow/tfjs-core';
import {
  DpOptimizer,
  type DpOptimizerOptions,
  type DpOptimizerStateBase,
  type StepContext,
} from './dp-optimizer';
import {
  exportTfjsOptimizerSlots,
  prepareTfjsOptimizerSlots,
  type TfjsOptimizerSlots,
} from './tfjs-optimizer-slots';
import { assertNonNegative } from './validate';

/** Options of {@link DpTfjsOptimizer}. */
export interface DpTfjsOptimizerOptions extends Omit<DpOptimizerOptions, 'learningRate'> {
  /**
   * The tfjs optimizer that applies the noisy gradient (`tf.train.adam(1e-3)`, `tf.train.sgd(0.1)`,
   * `tf.train.momentum(0.1, 0.9)`, `tf.train.rmsprop(1e-3)`, ...). Its learning rate is the run's.
   */
  readonly optimizer: Optimizer;
  /**
   * Decoupled weight decay `>= 0` (AdamW / SGDW): before each step every weight is multiplied by
   * `1 - learningRate * weightDecay`, apart from the gradient (default 0).
   */
  readonly weightDecay?: number;
}

/** Exported state of a {@link DpTfjsOptimizer}: the noise, the step and the tfjs optimizer's own state. */
export interface DpTfjsOptimizerState extends DpOptimizerStateBase {
  /** Which optimizer wrote the state. */
  readonly kind: 'dp-tfjs';
  /**
   * The tfjs optimizer's iterations, slots (moments, accumulators) and other variables. Absent from states written
   * by versions that did not save them: restoring such a state leaves the tfjs optimizer's own state as it is (a
   * fresh one starts its moments afresh).
   */
  readonly inner?: TfjsOptimizerSlots;
}

/** The learning rate tfjs's optimizers keep in a field of that name (SGD, momentum, Adam, RMSProp, Adagrad, ...). */
function learningRateOf(optimizer: Optimizer): number | undefined {
  const value = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Private training with any tfjs optimizer: each step adds the correlated noise to the clipped gradient sums, divides
 * by the normaliser, and hands that noisy mean gradient to the tfjs optimizer's `applyGradients`. Whatever the
 * optimizer does with it is post-processing of the released noisy gradient and costs no privacy. (Adam here sees the
 * noise in its second moment; the DP-AdamBC modes correct for it.)
 */
export class DpTfjsOptimizer extends DpOptimizer {
  /** The tfjs optimizer that steps. */
  readonly inner: Optimizer;
  /** Decoupled weight decay coefficient. */
  readonly weightDecay: number;

  /** Builds the optimizer; throws a `RangeError`/`TypeError` naming any bad option. */
  constructor(options: DpTfjsOptimizerOptions) {
    const inner = options?.optimizer;
    if (inner === null || typeof inner !== 'object' || typeof inner.applyGradients !== 'function') {
      throw new TypeError(
        'optimizer must be a tfjs Optimizer (tf.train.sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax)',
      );
    }
    const weightDecay = options.weightDecay ?? 0;
    assertNonNegative('weightDecay', weightDecay);
    const learningRate = learningRateOf(inner);
    if (weightDecay > 0 && learningRate === undefined) {
      throw new TypeError('weightDecay needs the learning rate of the tfjs optimizer, which has none');
    }
    // The base class reports this learning rate and scales the decoupled decay by it; the tfjs optimizer uses its own.
    super({ ...options, learningRate: learningRate ?? 0 });
    this.inner = inner;
    this.weightDecay = weightDecay;
  }

  protected override applyStep(context: StepContext): void {
    const gradients: NamedTensorMap = {};
    const inverseNormaliser = 1 / context.normaliser;
    const decay = 1 - learningRateOf(this.inner)! * this.weightDecay;
    this.variables.forEach((variable, i) => {
      const sums = context.gradientSums[i]!;
      const offset = this.offsets[i]!;
      const gradient = new Float32Array(variable.size);
      for (let j = 0; j < gradient.length; j++) {
        gradient[j] = ((sums[j] as number) + (context.noise[offset + j] as number)) * inverseNormaliser;
      }
      gradients[variable.name] = tensor(gradient, variable.shape, 'float32');
      if (this.weightDecay > 0) {
        const params = context.params[i]!;
        for (let j = 0; j < params.length; j++) params[j] = (params[j] as number) * decay;
        const decayed = tensor(params, variable.shape, 'float32');
        variable.assign(decayed);
        decayed.dispose();
      }
    });
    try {
      this.inner.applyGradients(gradients);
    } finally {
      for (const gradient of Object.values(gradients)) gradient.dispose();
    }
    // The base class writes `params` back into the variables: hand it what the tfjs optimizer wrote.
    this.variables.forEach((variable, i) => {
      context.params[i]!.set(variable.dataSync() as Float32Array);
    });
  }

  /**
   * The noise, the step and the tfjs optimizer's own state (iterations, moments or accumulators, Adam's running
   * `beta^t`), read synchronously: restoring it continues bit for bit.
   */
  exportState(): DpTfjsOptimizerState {
    return { kind: 'dp-tfjs', ...this.exportBase(), inner: exportTfjsOptimizerSlots(this.inner) };
  }

  /**
   * Restores a state exported by a `DpTfjsOptimizer` with the same variable shapes, settings and tfjs optimizer
   * (class and `getConfig()`); everything is checked before anything changes. A state without `inner` (written
   * before the tfjs optimizer's state was saved) restores the noise and the step only.
   */
  restoreState(state: DpTfjsOptimizerState): void {
    if (state?.kind !== 'dp-tfjs') throw new TypeError("state.kind must be 'dp-tfjs'");
    this.restoreBase(state, () =>
      state.inner === undefined
        ? () => {}
        : prepareTfjsOptimizerSlots(this.inner, this.variables, state.inner, 'state.inner'),
    );
  }
}
