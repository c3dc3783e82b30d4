/**
 * Options of the privacy engine: the self-explaining names, the original library's names as aliases, and
 * the checks that turn a bad configuration into an error naming the option and its allowed values.
 */
import {
  describeMode,
  type LearningRate,
  MODE_NAMES,
  type ModeDescription,
  type ModeName,
  modesWhere,
} from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import type * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '@tensorflow/tfjs-core';
import type { ClippedGradientsProvider } from './clipped-gradients-provider';
import { ADAPTIVE_THRESHOLD_RANGE } from './clipping';
import type { PerExampleLossFn, PerExampleMethod } from './compute-clipped-gradients';
import { checkInnerOptimizer } from './inner-optimizer';
import { type LossName, resolveLossOption } from './losses';
import { type Metric, type ResolvedMetric, resolveMetrics } from './metrics';
import type { AnyLayer } from './per-example/types';
import { assertSecureSampler } from './secure-mode';
import { isExampleDataset, type TensorData, toEngineData } from './training-data';
import { type ExponentialWeightAverageOptions, resolveWeightAverageOptions } from './weight-average';

/** How examples take part in training, the original library's `participation`. */
export type ParticipationName = 'streaming' | 'cyclic' | 'minSep';

/** The participations, in the original library's order. */
export const PARTICIPATION_NAMES: readonly ParticipationName[] = Object.freeze([
  'streaming',
  'cyclic',
  'minSep',
]);

/** The training data, held in memory so that the engine draws every batch itself. */
export interface EngineData {
  /** Inputs, leading axis = examples (an array for multi-input models). */
  readonly x: tf.Tensor | tf.Tensor[];
  /** Targets, leading axis = examples. */
  readonly y: tf.Tensor;
}

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
   * (`accuracy` is always reported).
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
   * Compute and report the batch's mean training loss (`step()`'s result, `loss` in the logs and the history);
   * default true. The loss is computed from the private batch without noise, so epsilon does not cover it:
   * set false to neither compute nor report it (`NaN` in its place).
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

const KNOWN_OPTIONS: readonly string[] = [
  'model',
  'loss',
  'lossFn',
  'data',
  'datasetSize',
  'epochs',
  'mode',
  'batchSize',
  'maxGradNorm',
  'clipping',
  'adaptiveClipping',
  'participation',
  'errorType',
  'bufferCount',
  'minSeparation',
  'maxParticipations',
  'gamma',
  'bands',
  'lossReduction',
  'poissonSampling',
  'sampler',
  'learningRate',
  'optimizer',
  'weightDecay',
  'momentum',
  'beta1',
  'beta2',
  'varianceFloor',
  'seed',
  'secureMode',
  'perExampleMethod',
  'physicalBatchSize',
  'verifyPerExample',
  'weightAverage',
  'accountant',
  'targetEpsilon',
  'targetDelta',
  'budgetPolicy',
  'noiseMultiplier',
  'clippedGradients',
  'metrics',
  'nonFinite',
  'reportTrainingLoss',
];

/**
 * Replaces the original library's names by the engine's ({@link OPTION_ALIASES}); refuses an option given
 * under both names and an unknown option (a typo would otherwise be ignored silently).
 */
export function normaliseOptions(options: Record<string, unknown>): Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = OPTION_ALIASES[key] ?? key;
    if (!KNOWN_OPTIONS.includes(name)) {
      throw new TypeError(
        `unknown option '${key}'; the options are ${KNOWN_OPTIONS.join(', ')} (aliases: ${Object.keys(OPTION_ALIASES).join(', ')})`,
      );
    }
    if (Object.hasOwn(out, name)) {
      throw new TypeError(`option '${name}' is given twice (also as its alias '${key}')`);
    }
    out[name] = value;
  }
  return out;
}

/** Adaptive clipping settings after validation; the count noise default follows from the batch size later. */
export interface ResolvedAdaptiveClipping {
  /** Target unclipped fraction γ. */
  readonly targetUnclippedQuantile: number;
  /** Geometric learning rate η. */
  readonly learningRate: number;
  /** σ_b when given (directly or as `countNoiseMultiplier / 2`), else undefined (default `batchSize / 20`). */
  readonly countNoiseStddev: number | undefined;
  /** Lower bound of the threshold. */
  readonly minThreshold: number;
  /** Upper bound of the threshold. */
  readonly maxThreshold: number;
}

const ADAPTIVE_KEYS: readonly string[] = [
  'targetUnclippedQuantile',
  'learningRate',
  'countNoiseStddev',
  'countNoiseMultiplier',
  'minThreshold',
  'maxThreshold',
];

function checkAdaptiveClipping(raw: unknown, initialThreshold: number): ResolvedAdaptiveClipping {
  if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    throw new TypeError(`adaptiveClipping must be an object with the settings ${ADAPTIVE_KEYS.join(', ')}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (value === undefined) continue;
    const name = ADAPTIVE_CLIPPING_ALIASES[key] ?? key;
    if (!ADAPTIVE_KEYS.includes(name)) {
      throw new TypeError(
        `unknown adaptiveClipping setting '${key}'; the settings are ${ADAPTIVE_KEYS.join(', ')} (aliases: ${Object.keys(ADAPTIVE_CLIPPING_ALIASES).join(', ')})`,
      );
    }
    if (Object.hasOwn(options, name)) {
      throw new TypeError(`adaptiveClipping.${name} is given twice (also as its alias '${key}')`);
    }
    options[name] = value;
  }
  const positive = { min: 0, max: Number.MAX_VALUE, minOpen: true };
  const targetUnclippedQuantile = finiteIn(
    'adaptiveClipping.targetUnclippedQuantile',
    options.targetUnclippedQuantile ?? 0.5,
    { min: 0, max: 1, minOpen: true, maxOpen: true },
  );
  const learningRate = finiteIn('adaptiveClipping.learningRate', options.learningRate ?? 0.2, positive);
  if (options.countNoiseStddev !== undefined && options.countNoiseMultiplier !== undefined) {
    throw new TypeError(
      'adaptiveClipping: give countNoiseStddev or countNoiseMultiplier (= 2 countNoiseStddev), not both',
    );
  }
  const countNoiseStddev =
    options.countNoiseStddev !== undefined
      ? finiteIn('adaptiveClipping.countNoiseStddev', options.countNoiseStddev, positive)
      : options.countNoiseMultiplier !== undefined
        ? finiteIn('adaptiveClipping.countNoiseMultiplier', options.countNoiseMultiplier, positive) / 2
        : undefined;
  const givenMin =
    options.minThreshold === undefined
      ? undefined
      : finiteIn('adaptiveClipping.minThreshold', options.minThreshold, positive);
  const givenMax =
    options.maxThreshold === undefined
      ? undefined
      : finiteIn('adaptiveClipping.maxThreshold', options.maxThreshold, positive);
  // Defaults: 10⁶ below and above the initial threshold (see AdaptiveClipNormOptions.minThreshold).
  const minThreshold =
    givenMin ?? Math.min(initialThreshold / ADAPTIVE_THRESHOLD_RANGE, givenMax ?? initialThreshold);
  const maxThreshold =
    givenMax ?? Math.max(initialThreshold * ADAPTIVE_THRESHOLD_RANGE, givenMin ?? initialThreshold);
  if (minThreshold > maxThreshold) {
    throw new RangeError(
      `adaptiveClipping.minThreshold (${minThreshold}) must be at most adaptiveClipping.maxThreshold (${maxThreshold})`,
    );
  }
  if (initialThreshold < minThreshold || initialThreshold > maxThreshold) {
    throw new RangeError(
      `maxGradNorm, the initial threshold of adaptive clipping, must be in [minThreshold, maxThreshold] = [${minThreshold}, ${maxThreshold}], got ${initialThreshold}`,
    );
  }
  return { targetUnclippedQuantile, learningRate, countNoiseStddev, minThreshold, maxThreshold };
}

/** A validated, normalised configuration with its defaults (before the run shape is known). */
export interface EngineConfig {
  /** The model trained. */
  readonly model: AnyLayer;
  /** The per-example loss. */
  readonly lossFn: PerExampleLossFn;
  /** The training set, or undefined when only its size was given (the data then comes with each fit or step). */
  readonly data: EngineData | undefined;
  /** Examples in the training set. */
  readonly datasetSize: number;
  /** The validated `epochs` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly epochs: number;
  /** The validated `mode` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly mode: ModeName;
  /** The validated `batchSize` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly batchSize: number | undefined;
  /** The validated `maxGradNorm` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly maxGradNorm: number | readonly number[] | Readonly<Record<string, number>>;
  /** Clipping mode ('per_layer' normalised to 'perLayer'). */
  readonly clipping: 'flat' | 'perLayer' | 'adaptive';
  /** The adaptive clipping settings (with `clipping: 'adaptive'` only), defaults applied where they are fixed. */
  readonly adaptiveClipping: ResolvedAdaptiveClipping | undefined;
  /** The validated `participation` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly participation: ParticipationName;
  /** The validated `errorType` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly errorType: 'rmse' | 'max';
  /** The validated `bufferCount` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly bufferCount: number | 'auto';
  /** The validated `minSeparation` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly minSeparation: number | undefined;
  /** The validated `maxParticipations` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly maxParticipations: number | undefined;
  /** The validated `gamma` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly gamma: number | undefined;
  /** The validated `bands` option of the amplified banded MF modes (undefined for the other modes). */
  readonly bands: number | 'auto' | undefined;
  /** The validated `lossReduction` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly lossReduction: 'mean' | 'sum';
  /** The validated `poissonSampling` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly poissonSampling: boolean;
  /** The sampler given by the caller, if any. */
  readonly sampler: BatchSampler | undefined;
  /** The validated `learningRate` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly learningRate: LearningRate;
  /** The `optimizer` option (see {@link PrivateTrainingOptions}), if any. */
  readonly optimizer: Optimizer | undefined;
  /** The validated `weightDecay` option (see {@link PrivateTrainingOptions}), default 0. */
  readonly weightDecay: number;
  /** The validated `momentum` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly momentum: number;
  /** The validated `beta1` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly beta1: number;
  /** The validated `beta2` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly beta2: number;
  /** Floor of the Adam modes' corrected second moment. */
  readonly varianceFloor: number;
  /** The validated `seed` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly seed: number | bigint | undefined;
  /** The validated `secureMode` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly secureMode: boolean;
  /** The validated `perExampleMethod` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly perExampleMethod: PerExampleMethod | undefined;
  /** The validated `physicalBatchSize` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly physicalBatchSize: number | undefined;
  /** The validated `verifyPerExample` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly verifyPerExample: boolean;
  /** The validated `weightAverage` option with its defaults applied; undefined when no average is kept. */
  readonly weightAverage: Required<ExponentialWeightAverageOptions> | undefined;
  /** The validated `accountant` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly accountant: 'pld' | 'rdp';
  /** The validated `targetEpsilon` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly targetEpsilon: number | undefined;
  /** The validated `targetDelta` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly targetDelta: number | undefined;
  /** The validated `budgetPolicy` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly budgetPolicy: 'refuse' | 'allow';
  /** Noise multiplier given to `makePrivate` (undefined with a target epsilon). */
  readonly noiseMultiplier: number | undefined;
  /** The `clippedGradients` provider (see {@link PrivateTrainingOptions}), if any. */
  readonly clippedGradients: ClippedGradientsProvider | undefined;
  /** The validated `metrics` option (see {@link PrivateTrainingOptions}); empty when none. */
  readonly metrics: readonly ResolvedMetric[];
  /** The validated `nonFinite` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly nonFinite: 'error' | 'skip';
  /** The validated `reportTrainingLoss` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly reportTrainingLoss: boolean;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new RangeError(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function optionalInteger(name: string, value: unknown, min: number, max?: number): number | undefined {
  return value === undefined ? undefined : integer(name, value, min, max);
}

function finiteIn(
  name: string,
  value: unknown,
  range: { min: number; max: number; minOpen?: boolean; maxOpen?: boolean },
): number {
  const { min, max, minOpen = false, maxOpen = false } = range;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (minOpen ? value <= min : value < min) ||
    (maxOpen ? value >= max : value > max)
  ) {
    throw new RangeError(
      `${name} must be a finite number in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}, got ${String(value)}`,
    );
  }
  return value;
}

function required(options: Record<string, unknown>, name: string, what: string): unknown {
  const value = options[name];
  if (value === undefined || value === null) throw new TypeError(`option '${name}' is required: ${what}`);
  return value;
}

function checkData(
  data: unknown,
  datasetSize: unknown,
): { data: EngineData | undefined; datasetSize: number } {
  if ((data === undefined) === (datasetSize === undefined)) {
    throw new TypeError(
      data === undefined
        ? "option 'data' or 'datasetSize' is required: the training set as { x, y } tensors, or its number of examples when the data is given to fit(data)"
        : "give either 'data' or 'datasetSize', not both: the size of the data is its number of examples",
    );
  }
  if (datasetSize !== undefined) {
    return { data: undefined, datasetSize: integer('datasetSize', datasetSize, 1, 2 ** 31 - 1) };
  }
  if (isExampleDataset(data)) {
    throw new TypeError(
      'data must be { x, y } tensors here (makePrivate is synchronous and cannot read a tf.data.Dataset): ' +
        'give its number of examples as datasetSize and the dataset to fit(dataset, options), which reads it once and ' +
        'draws every batch itself, because the privacy accounting depends on how examples are sampled',
    );
  }
  const checked = toEngineData(data, 'data');
  return { data: checked.data, datasetSize: checked.size };
}

/**
 * Validates the (normalised) options of the engine. `withEpsilon` selects which of `noiseMultiplier` or
 * `targetEpsilon`/`targetDelta` is required.
 */
export function validateConfig(
  raw: Record<string, unknown>,
  withEpsilon: boolean,
  engineSecure: boolean,
): EngineConfig {
  const options = normaliseOptions(raw);
  const model = required(options, 'model', 'the tfjs-layers model to train') as AnyLayer;
  if (typeof (model as { apply?: unknown }).apply !== 'function') {
    throw new TypeError('model must be a tfjs-layers model or layer');
  }
  const lossFn = resolveLossOption(options.loss, options.lossFn);
  const { data, datasetSize } = checkData(options.data, options.datasetSize);
  const row = describeMode(required(options, 'mode', `one of ${MODE_NAMES.join(', ')}`) as string);
  const mode = row.name;
  const epochs = integer('epochs', required(options, 'epochs', 'the number of epochs (integer >= 1)'), 1);
  const maxGradNorm = required(options, 'maxGradNorm', 'the per-example clipping norm (> 0)');
  const several = typeof maxGradNorm === 'object';
  if (typeof maxGradNorm === 'number') {
    finiteIn('maxGradNorm', maxGradNorm, { min: 0, max: Number.MAX_VALUE, minOpen: true });
  } else if (several && maxGradNorm !== null) {
    const values = Array.isArray(maxGradNorm) ? maxGradNorm : Object.values(maxGradNorm);
    if (values.length === 0) throw new RangeError('maxGradNorm must list at least one norm');
    for (const [i, v] of values.entries()) {
      finiteIn(`maxGradNorm[${i}]`, v, { min: 0, max: Number.MAX_VALUE, minOpen: true });
    }
  } else {
    throw new TypeError(
      'maxGradNorm must be a number, an array of numbers or a record of layer name -> number',
    );
  }
  const clippingName = oneOf(
    'clipping',
    options.clipping,
    ['flat', 'perLayer', 'per_layer', 'adaptive'] as const,
    several ? 'perLayer' : 'flat',
  );
  const clipping = clippingName === 'per_layer' ? 'perLayer' : clippingName;
  if (clipping === 'flat' && several) throw new RangeError("clipping 'flat' needs one maxGradNorm number");
  if (clipping === 'adaptive' && several) {
    throw new RangeError("clipping 'adaptive' needs one maxGradNorm number (the initial threshold)");
  }
  if (clipping !== 'adaptive' && options.adaptiveClipping !== undefined) {
    throw new TypeError(
      `adaptiveClipping applies to clipping 'adaptive' only, this run has clipping '${clipping}'`,
    );
  }
  const adaptiveClipping =
    clipping === 'adaptive'
      ? checkAdaptiveClipping(options.adaptiveClipping, maxGradNorm as number)
      : undefined;
  if (clipping === 'perLayer' && !several) {
    throw new RangeError("clipping 'perLayer' needs maxGradNorm as one norm per layer (array or record)");
  }
  const multiEpoch = row.fittedFor === 'min-separation';
  const participation = oneOf(
    'participation',
    options.participation,
    PARTICIPATION_NAMES,
    multiEpoch ? 'cyclic' : 'streaming',
  );
  if (multiEpoch && participation === 'streaming') {
    throw new RangeError(
      `mode '${mode}' fits its BLT for several participations: participation must be 'cyclic' or 'minSep', got 'streaming'`,
    );
  }
  const amplified = row.sampling === 'poisson';
  if (options.poissonSampling !== undefined && typeof options.poissonSampling !== 'boolean') {
    throw new TypeError('poissonSampling must be a boolean');
  }
  const sampler = options.sampler as BatchSampler | undefined;
  let samplerKind: string | undefined;
  if (sampler !== undefined) {
    if (
      sampler === null ||
      typeof sampler !== 'object' ||
      typeof sampler.nextBatch !== 'function' ||
      typeof sampler.exportState !== 'function' ||
      typeof sampler.participation?.kind !== 'string'
    ) {
      throw new TypeError('sampler must be a BatchSampler of @cnm/sampler (with a declared participation)');
    }
    samplerKind = sampler.participation.kind;
    if (options.poissonSampling !== undefined && options.poissonSampling !== (samplerKind === 'poisson')) {
      throw new RangeError(
        `poissonSampling (${String(options.poissonSampling)}) contradicts the sampler given, whose participation is '${samplerKind}'`,
      );
    }
  }
  const poissonSampling =
    samplerKind !== undefined
      ? samplerKind === 'poisson'
      : ((options.poissonSampling as boolean | undefined) ?? amplified);
  if (amplified && !poissonSampling) {
    throw new RangeError(
      `mode '${mode}' is accounted with amplification by Poisson subsampling: ` +
        (samplerKind === undefined
          ? 'poissonSampling must be true'
          : `the sampler must be a PoissonSampler, got participation '${samplerKind}'`),
    );
  }
  if (row.sampling === 'cyclicPoisson' && poissonSampling) {
    throw new RangeError(
      `mode '${mode}' samples fixed groups with Poisson sampling inside the active one (cyclic Poisson sampling): ` +
        'leave poissonSampling unset and give no sampler or a CyclicPoissonSampler',
    );
  }
  if (!amplified && poissonSampling) {
    throw new RangeError(
      `mode '${mode}' is accounted with the sensitivity of its participation pattern, which needs the cyclic sampler ` +
        '(fixed batches, every example exactly once per epoch); Poisson sampling gives no separation between ' +
        `participations: set poissonSampling to false, or use mode ${modesWhere((m) => m.sampling === 'poisson')}`,
    );
  }
  const banded = row.sampling === 'cyclicPoisson';
  if ((amplified || banded) && options.participation !== undefined) {
    throw new RangeError(
      `participation applies to the modes without amplification; '${mode}' uses Poisson sampling`,
    );
  }
  const bands = bandsOption(options, row, sampler, withEpsilon, datasetSize);
  const bufferCount =
    options.bufferCount === undefined || options.bufferCount === 'auto'
      ? 'auto'
      : integer('bufferCount (d)', options.bufferCount, 1, 16);
  const minSeparation = optionalInteger('minSeparation (b)', options.minSeparation, 1);
  const maxParticipations = optionalInteger('maxParticipations (k)', options.maxParticipations, 1);
  const gamma =
    options.gamma === undefined
      ? undefined
      : finiteIn('gamma', options.gamma, { min: 0, max: 1, maxOpen: true });
  if (row.strategy === 'single-parameter' && gamma === undefined) {
    throw new TypeError(`option 'gamma' is required by mode '${mode}': a number in [0, 1)`);
  }
  const secureOption = options.secureMode;
  if (secureOption !== undefined && typeof secureOption !== 'boolean') {
    throw new TypeError('secureMode must be a boolean');
  }
  const secureMode = (secureOption as boolean | undefined) ?? engineSecure;
  if (secureMode && sampler !== undefined) assertSecureSampler(sampler);
  const seed = options.seed as number | bigint | undefined;
  if (secureMode && seed !== undefined) {
    throw new TypeError(
      'secureMode draws from operating-system entropy and accepts no seed: remove the seed option',
    );
  }
  if (seed !== undefined) {
    const ok =
      typeof seed === 'bigint'
        ? seed >= 0n && seed < 2n ** 64n
        : typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0;
    if (!ok)
      throw new RangeError(
        `seed must be an integer in [0, 2^53 - 1] or a bigint in [0, 2^64), got ${String(seed)}`,
      );
  }
  let noiseMultiplier: number | undefined;
  let targetEpsilon: number | undefined;
  let targetDelta: number | undefined;
  if (withEpsilon) {
    if (options.noiseMultiplier !== undefined) {
      throw new TypeError(
        'makePrivateWithEpsilon calibrates the noise: remove noiseMultiplier (or use makePrivate)',
      );
    }
    targetEpsilon = finiteIn('targetEpsilon', required(options, 'targetEpsilon', 'a number > 0'), {
      min: 0,
      max: Number.MAX_VALUE,
      minOpen: true,
    });
    targetDelta = finiteIn('targetDelta', required(options, 'targetDelta', 'a number in (0, 1)'), {
      min: 0,
      max: 1,
      minOpen: true,
      maxOpen: true,
    });
  } else {
    noiseMultiplier = finiteIn(
      'noiseMultiplier',
      required(options, 'noiseMultiplier', 'the noise multiplier sigma (>= 0)'),
      { min: 0, max: Number.MAX_VALUE },
    );
    if (options.targetEpsilon !== undefined || options.targetDelta !== undefined) {
      targetEpsilon = finiteIn(
        'targetEpsilon',
        required(options, 'targetEpsilon', 'the budget (> 0) with targetDelta'),
        {
          min: 0,
          max: Number.MAX_VALUE,
          minOpen: true,
        },
      );
      targetDelta = finiteIn(
        'targetDelta',
        required(options, 'targetDelta', 'a number in (0, 1) with targetEpsilon'),
        {
          min: 0,
          max: 1,
          minOpen: true,
          maxOpen: true,
        },
      );
    }
  }
  const perExampleMethod = options.perExampleMethod as PerExampleMethod | undefined;
  if (perExampleMethod !== undefined) {
    oneOf(
      'perExampleMethod',
      perExampleMethod,
      ['bookkeeping', 'ghost', 'mixed-ghost', 'materialized', 'loop'] as const,
      'bookkeeping',
    );
  }
  return {
    model,
    lossFn,
    data,
    datasetSize,
    epochs,
    mode,
    batchSize: optionalInteger('batchSize', options.batchSize, 1, datasetSize),
    maxGradNorm: maxGradNorm as EngineConfig['maxGradNorm'],
    clipping,
    adaptiveClipping,
    participation,
    errorType: oneOf('errorType', options.errorType, ['rmse', 'max'] as const, 'rmse'),
    bufferCount,
    minSeparation,
    maxParticipations,
    gamma,
    bands,
    lossReduction: oneOf('lossReduction', options.lossReduction, ['mean', 'sum'] as const, 'mean'),
    poissonSampling,
    sampler,
    ...checkInnerOptimizer(options, mode),
    momentum: finiteIn('momentum', options.momentum ?? 0, { min: 0, max: 1, maxOpen: true }),
    beta1: finiteIn('beta1', options.beta1 ?? 0.9, { min: 0, max: 1, maxOpen: true }),
    beta2: finiteIn('beta2', options.beta2 ?? 0.999, { min: 0, max: 1, maxOpen: true }),
    varianceFloor: finiteIn('varianceFloor', options.varianceFloor ?? 1e-8, {
      min: 0,
      max: Number.MAX_VALUE,
    }),
    seed,
    secureMode,
    perExampleMethod,
    physicalBatchSize: optionalInteger('physicalBatchSize', options.physicalBatchSize, 1),
    verifyPerExample: booleanOption('verifyPerExample', options.verifyPerExample, true),
    weightAverage:
      options.weightAverage === undefined ? undefined : resolveWeightAverageOptions(options.weightAverage),
    accountant: oneOf('accountant', options.accountant, ['pld', 'rdp'] as const, 'pld'),
    targetEpsilon,
    targetDelta,
    budgetPolicy: oneOf('budgetPolicy', options.budgetPolicy, ['refuse', 'allow'] as const, 'refuse'),
    noiseMultiplier,
    clippedGradients: checkProvider(options.clippedGradients, clipping),
    metrics: options.metrics === undefined ? [] : resolveMetrics(options.metrics, 'metrics'),
    nonFinite: oneOf('nonFinite', options.nonFinite, ['error', 'skip'] as const, 'error'),
    reportTrainingLoss: booleanOption('reportTrainingLoss', options.reportTrainingLoss, true),
  };
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

function checkProvider(provider: unknown, clipping: string): ClippedGradientsProvider | undefined {
  if (provider === undefined) return undefined;
  if (clipping === 'adaptive') {
    // The threshold and its count noise live on this thread and move after every logical batch; workers
    // clipping their shares with their own copies would release one count each.
    throw new RangeError(
      "clippedGradients cannot be combined with clipping 'adaptive': use 'flat' or 'perLayer' with a provider, or adaptive clipping on this thread",
    );
  }
  if (provider === null || typeof (provider as ClippedGradientsProvider).compute !== 'function') {
    throw new TypeError(
      'clippedGradients must be a ClippedGradientsProvider (an object with compute(request))',
    );
  }
  return provider as ClippedGradientsProvider;
}

/**
 * The `bands` option: only for the amplified banded MF modes, an integer in [1, floor(datasetSize / batchSize)]
 * or `'auto'` (which needs a target ε to calibrate each candidate). With a sampler given, it is the sampler's.
 */
function bandsOption(
  options: Record<string, unknown>,
  row: ModeDescription,
  sampler: BatchSampler | undefined,
  withEpsilon: boolean,
  datasetSize: number,
): number | 'auto' | undefined {
  const given = options.bands;
  if (row.sampling !== 'cyclicPoisson') {
    if (given !== undefined) {
      throw new RangeError(
        `bands applies to the amplified banded MF modes (${modesWhere((m) => m.sampling === 'cyclicPoisson')}), not to '${row.name}'`,
      );
    }
    return undefined;
  }
  if (sampler !== undefined) {
    if (sampler.participation.kind !== 'cyclicPoisson') return undefined;
    const samplerBands = sampler.participation.bands;
    if (given !== undefined && given !== samplerBands) {
      throw new RangeError(
        `bands (${String(given)}) contradicts the sampler given, which has ${samplerBands} bands`,
      );
    }
    return samplerBands;
  }
  const batchSize = options.batchSize;
  if (
    typeof batchSize !== 'number' ||
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    batchSize > datasetSize
  ) {
    throw new TypeError(
      `option 'batchSize' is required by mode '${row.name}': the expected batch size (integer in [1, ${datasetSize}])`,
    );
  }
  if (given === undefined || given === 'auto') {
    if (!withEpsilon) {
      throw new TypeError(
        `bands 'auto' calibrates the noise for each band count: use makePrivateWithEpsilon, or give bands as an integer in [1, ${Math.floor(datasetSize / batchSize)}]`,
      );
    }
    return 'auto';
  }
  return integer('bands', given, 1, Math.floor(datasetSize / batchSize));
}
