/**
 * The options of the privacy engine as users give them: the self-explaining names and the original library's
 * (and Opacus's) names as aliases. They are checked by the rules of `option-rules.ts`.
 */
import type { LearningRate, ModeName } from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import type { Optimizer } from '@tensorflow/tfjs-core';
import type { ClippedGradientsProvider } from './clipped-gradients-provider';
import type { PerExampleLossFn, PerExampleMethod } from './compute-clipped-gradients';
import type { LossName } from './losses';
import type { Metric } from './metrics';
import type { AnyLayer } from './per-example/types';
import type { TensorData } from './training-data';
import type { ExponentialWeightAverageOptions } from './weight-average';

/** How examples take part in training, the original library's `participation`. */
export type ParticipationName = 'streaming' | 'cyclic' | 'minSep';

/** The participations, in the original library's order. */
export const PARTICIPATION_NAMES: readonly ParticipationName[] = Object.freeze([
  'streaming',
  'cyclic',
  'minSep',
]);

/**
 * Settings of adaptive clipping (`clipping: 'adaptive'`, Andrew, Thakkar, McMahan, Ramaswamy 2021): after each
 * logical batch the engine releases a noisy count of the examples whose gradient norm was at most the threshold,
 * and moves the threshold geometrically toward the target quantile. `maxGradNorm` is the initial threshold.
 * Opacus's names are accepted as aliases ({@link ADAPTIVE_CLIPPING_ALIASES}).
 */
export interface AdaptiveClippingOptions {
  /**
   * Fraction of examples that should end up unclipped (γ), in (0, 1); default 0.5 (the median norm). Alias
   * `target_unclipped_quantile`.
   */
  readonly targetUnclippedQuantile?: number;
  /**
   * Geometric learning rate η of the threshold, `> 0`: one update multiplies it by at most about `exp(η)`;
   * default 0.2. Alias `clipbound_learning_rate`.
   */
  readonly learningRate?: number;
  /**
   * Standard deviation σ_b of the noise on the unclipped count, `> 0`; default `batchSize / 20` (Andrew et al.'s
   * recommendation, the expected batch size). Alias `unclipped_num_std`. Give this or `countNoiseMultiplier`.
   */
  readonly countNoiseStddev?: number;
  /**
   * Noise multiplier of the count, `2 σ_b` (its sensitivity is 1/2), `> 0`: the other way of giving
   * `countNoiseStddev`.
   */
  readonly countNoiseMultiplier?: number;
  /** Smallest threshold, `> 0` (default `maxGradNorm / 10⁶`). Alias `min_clipbound`. */
  readonly minThreshold?: number;
  /** Largest threshold, `>= minThreshold` (default `maxGradNorm × 10⁶`). Alias `max_clipbound`. */
  readonly maxThreshold?: number;
}

/** Opacus's names of the adaptive clipping settings and the names they stand for. */
export const ADAPTIVE_CLIPPING_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  target_unclipped_quantile: 'targetUnclippedQuantile',
  clipbound_learning_rate: 'learningRate',
  unclipped_num_std: 'countNoiseStddev',
  min_clipbound: 'minThreshold',
  max_clipbound: 'maxThreshold',
});

/** Options shared by {@link PrivacyEngine.makePrivate} and {@link PrivacyEngine.makePrivateWithEpsilon}. */
export interface PrivateTrainingOptions {
  /** The tfjs-layers model to train (Sequential, functional or nested). */
  readonly model: AnyLayer;
  /**
   * The loss, as in tfjs's `model.compile({ loss })`: a tfjs-layers loss name (`'categoricalCrossentropy'`,
   * `'sparseCategoricalCrossentropy'`, `'meanSquaredError'`, ...: see {@link perExampleLoss}, which also takes
   * `fromLogits`), computed per example, or a per-example loss `(yTrue, yPred) => [B]`. Give this or `lossFn`.
   */
  readonly loss?: LossName | PerExampleLossFn;
  /** Per-example loss `(yTrue, yPred) => [B]` (alias `criterion`). Give this or `loss`. */
  readonly lossFn?: PerExampleLossFn;
  /**
   * The training set as `{ x, y }` (or `{ xs, ys }`) tensors, which the engine samples its batches from. The
   * tensors stay the caller's: the engine never disposes them. Give either `data` or `datasetSize`, not both.
   * A `tf.data.Dataset` goes to {@link PrivateTrainer.fit} instead (with `datasetSize` here): the engine reads
   * it once and draws every batch itself, since the accounting depends on how batches are drawn.
   */
  readonly data?: TensorData;
  /**
   * Number of examples of the training set, when the data itself is given later to
   * {@link PrivateTrainer.fit} or {@link PrivateTrainer.step} (integer >= 1). It sets the sampling rate and
   * the steps per epoch, so the data given then must have exactly this many examples.
   */
  readonly datasetSize?: number;
  /** Number of epochs the accounting covers (integer >= 1). */
  readonly epochs: number;
  /** Training mode (the original library's names). */
  readonly mode: ModeName;
  /**
   * Expected batch size: the batch size of the cyclic sampler, or `sampleRate * datasetSize` under Poisson
   * sampling. Optional when `minSeparation` is given (then `ceil(datasetSize / minSeparation)`).
   */
  readonly batchSize?: number;
  /** Per-example clipping norm, or one norm per trainable layer (array in layer order, or by layer name). */
  readonly maxGradNorm: number | readonly number[] | Readonly<Record<string, number>>;
  /**
   * `'flat'` (default for a number), `'perLayer'` (default for several norms; alias `'per_layer'`), or
   * `'adaptive'`: one threshold, starting at `maxGradNorm` and following a quantile of the per-example norms
   * (settings in {@link PrivateTrainingOptions.adaptiveClipping}).
   */
  readonly clipping?: 'flat' | 'perLayer' | 'per_layer' | 'adaptive';
  /**
   * Settings of `clipping: 'adaptive'` (refused with another clipping). The count it releases is accounted
   * with the gradients: the noise multiplier of `makePrivate` (or the one calibrated by `makePrivateWithEpsilon`)
   * is the total, and the gradient noise multiplier is raised to pay for the count (see `report`).
   */
  readonly adaptiveClipping?: AdaptiveClippingOptions;
  /** Participation pattern of the correlated modes (default `'streaming'`, `'cyclic'` for Multi-Epoch modes). */
  readonly participation?: ParticipationName;
  /** Error the BLT fit minimises: `'rmse'` (default) or `'max'`. Alias `error_type`. */
  readonly errorType?: 'rmse' | 'max';
  /** BLT buffers d (integer in [1, 16]) or `'auto'` (default). Alias `d`. */
  readonly bufferCount?: number | 'auto';
  /** Minimum separation b between two participations of an example (integer >= 1). Alias `b`. */
  readonly minSeparation?: number;
  /** Maximum participations k of an example (integer >= 1; default `epochs`). Alias `k`. */
  readonly maxParticipations?: number;
  /** Gamma of `'Single Parameter'`, in [0, 1). */
  readonly gamma?: number;
  /**
   * Bands b of the amplified banded MF modes (`'Amplified-BandMF'`, `'Amplified-BandMF-Adam'`): an integer in
   * [1, floor(datasetSize / batchSize)] (the sampling rate p = batchSize · b / datasetSize is at most 1), or
   * `'auto'` (default; needs `makePrivateWithEpsilon`): the b with the smallest expected noise error
   * σ(b) · RMSE(b). One band is DP-SGD with Poisson sampling. Refused by the other modes.
   */
  readonly bands?: number | 'auto';
  /** `'mean'` (default: divide the noisy sum by the expected batch size) or `'sum'`. Alias `loss_reduction`. */
  readonly lossReduction?: 'mean' | 'sum';
  /**
   * Poisson sampling; required by (and the default of) the modes that sample with it (`'DP-SGD-AMPLIFIED'`),
   * refused elsewhere. Alias `poisson_sampling`.
   */
  readonly poissonSampling?: boolean;
  /**
   * A batch sampler of `@cnm/sampler` over the training set, at step 0, instead of the one the engine builds.
   * Its declared participation must support the mode's accounting: Poisson for 'DP-SGD-AMPLIFIED'; cyclic for
   * the correlated modes (participations exactly `stepsPerEpoch` apart); cyclic, shuffle or balls-in-bins (at
   * most one participation per epoch) for 'DP-SGD-BASE'. Anything else is refused with the reason.
   */
  readonly sampler?: BatchSampler;
  /**
   * Learning rate of the private optimizer (default 0.1), or a schedule `(step) => number` of the 0-based step
   * (`stepDecay`, `cosineDecay`, `exponentialDecay`, `linearWarmup` of `@cnm/optim`).
   */
  readonly learningRate?: LearningRate;
  /**
   * A tfjs optimizer that applies the noisy gradient instead of the mode's own (`tf.train.adam(1e-3)`,
   * `tf.train.sgd(0.1)`, `tf.train.momentum(0.1, 0.9)`, `tf.train.rmsprop(1e-3)`, ...), with its own learning rate;
   * `learningRate`, `momentum`, `beta1`, `beta2` and `varianceFloor` are then refused. Not with the Adam modes, which
   * keep DP-AdamBC. Its moments are not part of checkpoints (resuming restarts them).
   */
  readonly optimizer?: Optimizer;
  /** Decoupled weight decay (AdamW / SGDW) `>= 0`: weights shrink by `1 - learningRate * weightDecay` each step. */
  readonly weightDecay?: number;
  /** Heavy-ball momentum of the SGD modes, in [0, 1) (default 0). */
  readonly momentum?: number;
  /** First-moment decay of the Adam modes (default 0.9). */
  readonly beta1?: number;
  /** Second-moment decay of the Adam modes (default 0.999). */
  readonly beta2?: number;
  /** Floor of the Adam modes' bias-corrected second moment after the noise variance is removed (default 1e-8). */
  readonly varianceFloor?: number;
  /** Seed of the sampler and the noise (reproducible runs, bit-exact resumption); refused in secure mode. */
  readonly seed?: number | bigint;
  /** Secure randomness for sampling and noise (overrides the engine's setting when given). Alias `secure_mode`. */
  readonly secureMode?: boolean;
  /** Per-example gradient method (default `'bookkeeping'`). Alias `grad_sample_mode`. */
  readonly perExampleMethod?: PerExampleMethod;
  /** Examples per physical chunk of the per-example pass (bounds memory). */
  readonly physicalBatchSize?: number;
  /**
   * Self-check on the first step (default `true`): the engine's per-example gradient norms for the first few
   * examples of the training set are compared with an example-by-example backward pass, and training is refused
   * (naming the layers where they differ) when they differ by more than 1e-3 relative. It catches a layer whose
   * batched backward mixes the examples, which would void the clipping bound. Cost: a few backward passes, once
   * per run (trainer). `false` skips it.
   */
  readonly verifyPerExample?: boolean;
  /**
   * Keep an exponential moving average of the trained weights (see {@link ExponentialWeightAverage}; `{}`
   * for its defaults: decay 0.999 with warm-up), updated after every step and checkpointed with the run.
   * Evaluating the average is post-processing: it costs no privacy and is usually more accurate than the last
   * iterate. Default: none.
   */
  readonly weightAverage?: ExponentialWeightAverageOptions;
  /** Accountant of `'DP-SGD-AMPLIFIED'`: `'pld'` (default) or `'rdp'`. */
  readonly accountant?: 'pld' | 'rdp';
  /** Budget target epsilon: with `makePrivate` an optional budget, with `makePrivateWithEpsilon` the target. */
  readonly targetEpsilon?: number;
  /** Delta of the budget, in (0, 1). */
  readonly targetDelta?: number;
  /** What a step beyond the budget does: `'refuse'` (default, it throws) or `'allow'`. */
  readonly budgetPolicy?: 'refuse' | 'allow';
  /**
   * Computes the clipped gradient sums elsewhere (e.g. `createWorkerClipper` of `@cnm/tfjs/node`, on several
   * cores); the trainer then steps with `stepAsync` (which `fit` uses). Default: this thread.
   */
  readonly clippedGradients?: ClippedGradientsProvider;
  /**
   * Metrics of {@link PrivateTrainer.evaluate}, named as tfjs's `compile` names them (`'accuracy'`/`'acc'`,
   * `'binaryAccuracy'`, `'categoricalAccuracy'`, `'sparseCategoricalAccuracy'`) or functions
   * `(yTrue, yPred) => per-example values`; reported in `evaluate(...).metrics` by name. Default: none
   * (`accuracy` is always reported). As in tfjs, `'accuracy'` or `'acc'` here also puts the training accuracy in
   * the fit logs and history (`accuracy`; `acc` in `fit(x, y, args)`), measured on each batch before its update; like
   * the training loss it is not covered by epsilon (see `reportTrainingLoss`).
   */
  readonly metrics?: Metric | readonly Metric[];
  /**
   * What a batch with non-finite inputs, labels, per-example losses or gradients does: `'error'` (default)
   * refuses it with an error naming the step, the examples and the tensor; `'skip'` leaves those examples out
   * of the clipped sum (the sensitivity is still that of one clipped example) and counts them
   * (`trainer.skippedExamples`, `skippedExamples` in the logs). The count depends on the data and is not
   * covered by epsilon.
   */
  readonly nonFinite?: 'error' | 'skip';
  /**
   * Compute and report the batch's mean training loss (`step()`'s result, `loss` in the logs and the history), and
   * with an accuracy metric declared the training accuracy; default true. They are computed from the private batch
   * without noise, so epsilon does not cover them: set false to neither compute nor report them (`NaN` in their
   * place).
   */
  readonly reportTrainingLoss?: boolean;
}

/** Options of {@link PrivacyEngine.makePrivate}: the noise multiplier is given. */
export interface MakePrivateOptions extends PrivateTrainingOptions {
  /** Noise multiplier sigma (>= 0; 0 disables noise and privacy). Alias `noise_multiplier`. */
  readonly noiseMultiplier: number;
}

/** Options of {@link PrivacyEngine.makePrivateWithEpsilon}: the noise is calibrated to the target. */
export interface MakePrivateWithEpsilonOptions extends PrivateTrainingOptions {
  /** Target epsilon (> 0). Alias `target_epsilon`. */
  readonly targetEpsilon: number;
  /** Target delta, in (0, 1). Alias `target_delta`. */
  readonly targetDelta: number;
}

/**
 * The original library's option names and the names they stand for. Either name may be used, not both.
 */
export const OPTION_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  d: 'bufferCount',
  b: 'minSeparation',
  k: 'maxParticipations',
  max_grad_norm: 'maxGradNorm',
  error_type: 'errorType',
  noise_multiplier: 'noiseMultiplier',
  target_epsilon: 'targetEpsilon',
  target_delta: 'targetDelta',
  loss_reduction: 'lossReduction',
  poisson_sampling: 'poissonSampling',
  grad_sample_mode: 'perExampleMethod',
  secure_mode: 'secureMode',
  batch_size: 'batchSize',
  learning_rate: 'learningRate',
  data_loader: 'data',
  module: 'model',
  criterion: 'lossFn',
});
