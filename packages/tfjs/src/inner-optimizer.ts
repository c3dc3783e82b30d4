/**
 * The optimizer that applies the noisy gradient: the mode's own (DP-SGD with momentum, or DP-AdamBC for the Adam
 * modes), or any tfjs optimizer given as `optimizer`; a learning rate or a schedule of the step; decoupled weight decay.
 */
import {
  createModeOptimizer,
  type DpAdamBc,
  type DpSgd,
  DpTfjsOptimizer,
  describeMode,
  type LearningRate,
  learningRateAt,
  type ModeName,
  type ModeOptimizerOptions,
} from '@cnm/optim';
import type { Optimizer } from '@tensorflow/tfjs-core';

/** The optimizer settings of a run, validated. */
export interface InnerOptimizerSettings {
  /** The tfjs optimizer given as `optimizer`, if any. */
  readonly optimizer: Optimizer | undefined;
  /** The learning rate or schedule of the built-in optimizer (the tfjs optimizer has its own). */
  readonly learningRate: LearningRate;
  /** Decoupled weight decay (AdamW / SGDW), `>= 0`. */
  readonly weightDecay: number;
}

/** Options that configure the built-in optimizers and have no meaning with a tfjs optimizer. */
const BUILT_IN_SETTINGS = ['learningRate', 'momentum', 'beta1', 'beta2', 'varianceFloor'] as const;

/**
 * Checks `optimizer`, `learningRate` and `weightDecay` of the engine options (normalised names). A tfjs optimizer
 * carries its own learning rate and moments, so the built-in optimizers' settings are refused beside it; the Adam
 * modes keep DP-AdamBC, which removes the noise's variance from the second moment (a tfjs Adam would take the noise
 * for gradient variance and shrink its steps).
 */
export function checkInnerOptimizer(
  options: Record<string, unknown>,
  mode: ModeName,
): InnerOptimizerSettings {
  const optimizer = options.optimizer;
  const weightDecay = options.weightDecay ?? 0;
  if (typeof weightDecay !== 'number' || !Number.isFinite(weightDecay) || weightDecay < 0) {
    throw new RangeError(`weightDecay must be a finite number >= 0, got ${String(weightDecay)}`);
  }
  if (optimizer !== undefined) {
    if (optimizer === null || typeof (optimizer as Optimizer).applyGradients !== 'function') {
      throw new TypeError(
        'optimizer must be a tfjs Optimizer, e.g. tf.train.adam(1e-3), tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9), tf.train.rmsprop(1e-3)',
      );
    }
    if (describeMode(mode).optimizer === 'dp-adam-bc') {
      throw new RangeError(
        `mode '${mode}' trains with DP-AdamBC, which removes the noise variance from Adam's second moment; a tfjs optimizer ` +
          "would not: remove optimizer (and set learningRate, beta1, beta2 here), or use the SGD mode of the same noise (e.g. 'BLT', 'Multi-Epoch-BLT') with optimizer: tf.train.adam(...)",
      );
    }
    const clashes = BUILT_IN_SETTINGS.filter((name) => options[name] !== undefined);
    if (clashes.length > 0) {
      throw new TypeError(
        `${clashes.join(', ')} configure the built-in optimizer; the tfjs optimizer given as optimizer has its own: set them on it (e.g. tf.train.adam(learningRate, beta1, beta2))`,
      );
    }
  }
  const learningRate = options.learningRate ?? 0.1;
  if (typeof learningRate === 'function') {
    learningRateAt(learningRate as LearningRate, 0);
  } else if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate < 0) {
    throw new RangeError(
      `learningRate must be a finite number >= 0 or a schedule (step) => number, got ${String(learningRate)}`,
    );
  }
  return {
    optimizer: optimizer as Optimizer | undefined,
    learningRate: learningRate as LearningRate,
    weightDecay,
  };
}

/**
 * The run's optimizer: the mode's DP-SGD or DP-AdamBC with decoupled weight decay, or the tfjs optimizer given,
 * fed the same noisy gradient.
 */
export function createInnerOptimizer(
  mode: ModeName,
  settings: InnerOptimizerSettings,
  options: ModeOptimizerOptions,
): DpSgd | DpAdamBc | DpTfjsOptimizer {
  if (settings.optimizer !== undefined) {
    return new DpTfjsOptimizer({
      variables: options.variables,
      noise: options.noise,
      optimizer: settings.optimizer,
      weightDecay: settings.weightDecay,
    });
  }
  // DpSgd's weightDecay is an L2 term of the gradient; DpAdamBc's is decoupled: the engine's is decoupled for both.
  const decay =
    describeMode(mode).optimizer === 'dp-sgd'
      ? { decoupledWeightDecay: settings.weightDecay }
      : { weightDecay: settings.weightDecay };
  return createModeOptimizer(mode, { ...options, learningRate: settings.learningRate, ...decay });
}
