/**
 * The private training loop: one `step` for custom loops, a Keras-like `fit` with callbacks, evaluation,
 * the privacy spent so far, the enforced budget, and the exact state for checkpoints.
 */

import type { AccountantState, PrivacyAccountant } from '@cnm/accountant';
import type {
  DpAdamBc,
  DpAdamBcState,
  DpSgd,
  DpSgdState,
  DpTfjsOptimizer,
  DpTfjsOptimizerState,
} from '@cnm/optim';
import type { BatchSampler, BatchSamplerState } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { History, LayerVariable } from '@tensorflow/tfjs-layers';
import type { AccountingLabel, RunAccounting } from './accounting';
import type { ClippedGradientsRequest } from './clipped-gradients-provider';
import type { AdaptiveClipNormState, ClippingOptions } from './clipping';
import { type ClippedGradients, computeClippedGradients } from './compute-clipped-gradients';
import { checkDataFingerprint, DataBinding, type DataFingerprint } from './data-fingerprint';
import type { EngineConfig, EngineData } from './engine-config';
import { fitTensors, type PrivateModelFitArgs } from './fit-tensors';
import { probePerExampleLoss } from './loss-probe';
import { ACCURACY, type Metric, outputKindOf, resolveMetrics } from './metrics';
import { NonFiniteExamplesError } from './non-finite';
import { collectTrainableLayers } from './per-example/model-layers';
import type { AnyLayer } from './per-example/types';
import {
  checkExampleShapes,
  disposeData,
  type ExampleDataset,
  exampleShapesOf,
  isExampleDataset,
  isTensor,
  materialiseDataset,
  modelExampleShapes,
  type TensorData,
  type TrainingData,
  toEngineData,
  type ValidationData,
} from './training-data';
import { verifyRunPerExample } from './verify-per-example';
import { ExponentialWeightAverage, type ExponentialWeightAverageState } from './weight-average';

/** Thrown by {@link PrivateTrainer.step} when the step would take epsilon above the budget. */
export class BudgetExceededError extends RangeError {
  /** Steps taken when the step was refused. */
  readonly steps: number;
  /** Epsilon spent so far. */
  readonly epsilon: number;

  /** @param message - Why; `steps` and `epsilon` describe where training stopped. */
  constructor(message: string, steps: number, epsilon: number) {
    super(message);
    this.name = 'BudgetExceededError';
    this.steps = steps;
    this.epsilon = epsilon;
  }
}

/** The fitted BLT of a run. */
export interface BltReport {
  /** Number of buffers d. */
  readonly bufferCount: number;
  /** Buffer decays. */
  readonly decays: number[];
  /** Output scales. */
  readonly outputScales: number[];
  /** Loss of the fit (sensitivity times the root of the error). */
  readonly loss: number;
}

/** The shape of a run as the accounting sees it. */
export interface RunReport {
  /** Examples in the training set. */
  readonly datasetSize: number;
  /** Batch size (expected batch size under Poisson sampling). */
  readonly batchSize: number;
  /** Steps per epoch. */
  readonly stepsPerEpoch: number;
  /** Epochs covered. */
  readonly epochs: number;
  /** All steps, `stepsPerEpoch * epochs`. */
  readonly totalSteps: number;
}

/** A privacy budget. */
export interface PrivacyTarget {
  /** Target epsilon. */
  readonly epsilon: number;
  /** Delta at which epsilon is measured. */
  readonly delta: number;
}

/** One model weight in a {@link TrainerState}. */
export interface SavedWeight {
  /** The weight's name when saved (informative: fresh models get new names). */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its values. */
  readonly values: Float32Array;
}

/** The accountant's history in a {@link TrainerState}. */
export interface SavedAccountant {
  /** The composed events, as `@cnm/accountant` serialises an accountant (`fromJSON` rebuilds it). */
  readonly state: AccountantState;
  /** The accounting used. */
  readonly accounting: string;
  /** Steps composed. */
  readonly steps: number;
  /** Noise multiplier of the gradient sums (with adaptive clipping, the part left after the count's). */
  readonly noiseMultiplier: number;
  /** Sensitivity of the strategy under the real participation. */
  readonly sensitivity: number;
}

/** Adaptive clipping as a run uses it (see {@link PrivacyReport.adaptiveClipping}). */
export interface AdaptiveClippingReport {
  /** Threshold of the first step (`maxGradNorm`). */
  readonly initialThreshold: number;
  /** Target unclipped fraction γ. */
  readonly targetUnclippedQuantile: number;
  /** Geometric learning rate η. */
  readonly learningRate: number;
  /** Standard deviation σ_b of the count noise. */
  readonly countNoiseStddev: number;
  /** Noise multiplier of the count, `2σ_b`. */
  readonly countNoiseMultiplier: number;
  /** Lower bound of the threshold. */
  readonly minThreshold: number;
  /** Upper bound of the threshold. */
  readonly maxThreshold: number;
}

/** The banded strategy of an amplified banded MF run. */
export interface BandMfReport {
  /** Number of bands b (= groups of the cyclic Poisson sampler). */
  readonly bands: number;
  /** The band c_0..c_{b-1} of C (unit norm). */
  readonly coefficients: number[];
  /** Inclusion probability p = batchSize · b / N within the active group. */
  readonly sampleRate: number;
  /** σ · RMSE of the prefix-sum noise (per unit of clip norm): the expected noise error the choice of b minimises. */
  readonly noiseRmse: number;
  /** RMSE of the prefix sums of the noise for unit σ (the fit's loss). */
  readonly loss: number;
}

/** What a private run is: the numbers reported by `makePrivate` / `makePrivateWithEpsilon`. */
export interface PrivacyReport {
  /** Training mode. */
  readonly mode: string;
  /**
   * Participation of the correlated modes (`'poisson'` for DP-SGD-AMPLIFIED, `'cyclic-poisson'` for the amplified
   * banded MF modes).
   */
  readonly participation: string;
  /** Accounting: Poisson-subsampled Gaussian steps (PLD/RDP) or one Gaussian mechanism for the run. */
  readonly accounting: AccountingLabel;
  /**
   * Noise multiplier sigma. With adaptive clipping it is the total: the run costs what the same run with flat
   * clipping and this sigma costs, shared between the gradients ({@link PrivacyReport.gradientNoiseMultiplier})
   * and the unclipped counts.
   */
  readonly noiseMultiplier: number;
  /** Noise multiplier of the gradient sums: `noiseMultiplier`, or the larger one adaptive clipping needs. */
  readonly gradientNoiseMultiplier: number;
  /** sens(C) under the real participation over the whole run (clip norm 1). */
  readonly sensitivity: number;
  /** Sensitivity used by the noise (1 for the DP-SGD modes). */
  readonly noiseSensitivity: number;
  /** Name of the strategy C. */
  readonly strategy: string;
  /** BLT buffers, decays and output scales, for the BLT modes. */
  readonly blt?: BltReport;
  /** The banded strategy, for the amplified banded MF modes. */
  readonly bandmf?: BandMfReport;
  /**
   * L2 sensitivity of one example's clipped gradient (maxGradNorm, or the root of the per-layer squares); the
   * initial threshold with adaptive clipping.
   */
  readonly clipNorm: number;
  /** The settings of adaptive clipping, when it is used. */
  readonly adaptiveClipping?: AdaptiveClippingReport;
  /** Examples, batch size, steps per epoch, epochs and total steps. */
  readonly run: RunReport;
  /** Target epsilon and delta (the budget), when one is set. */
  readonly target?: PrivacyTarget;
  /** Epsilon of the whole planned run at the target delta, when one is set. */
  readonly plannedEpsilon?: number;
  /** Steps the budget allows (the whole run when it fits). */
  readonly stepsWithinBudget: number;
  /**
   * What a batch with non-finite examples does: `'error'` refuses it, `'skip'` leaves those examples out of the
   * clipped sum (their count: {@link PrivateTrainer.skippedExamples}; not covered by epsilon).
   */
  readonly nonFinite: 'error' | 'skip';
  /**
   * Whether the training loss is computed and reported. It is computed from the private batches without noise:
   * epsilon does not cover it.
   */
  readonly reportTrainingLoss: boolean;
}

/** Logs passed to callbacks. */
export interface TrainLogs {
  /**
   * Mean per-example training loss of the batch (batch callbacks) or of the epoch's batches (epoch callbacks);
   * `NaN` with `reportTrainingLoss: false`. Computed from the private data without noise: epsilon does not cover
   * it (like per-example norms, it is a release of its own).
   */
  readonly loss: number;
  /**
   * With `nonFinite: 'skip'`: examples left out as non-finite in the step (batch callbacks) or the epoch (epoch
   * callbacks). It depends on the data and is not covered by epsilon.
   */
  readonly skippedExamples?: number;
  /** Epsilon spent so far at the budget's delta (or `NaN` when no delta is set). */
  readonly epsilon: number;
  /** Steps taken so far. */
  readonly steps: number;
  /** Mean per-example loss on the validation data (epoch logs, with {@link FitOptions.validationData}). */
  readonly valLoss?: number;
  /** Accuracy on the validation data, as {@link PrivateTrainer.evaluate} measures it (epoch logs, with `validationData`). */
  readonly valAccuracy?: number;
  /** Validation loss of the weight average (epoch logs, with `validationData` and the `weightAverage` option). */
  readonly averagedValLoss?: number;
  /** Validation accuracy of the weight average (epoch logs, with `validationData` and the `weightAverage` option). */
  readonly averagedValAccuracy?: number;
}

/** Keras-style callbacks of {@link PrivateTrainer.fit}; each may be async. */
export interface TrainCallbacks {
  /** Before the first step. */
  onTrainBegin?(trainer: PrivateTrainer): void | Promise<void>;
  /** Before each epoch (0-based index over the whole run). */
  onEpochBegin?(epoch: number, trainer: PrivateTrainer): void | Promise<void>;
  /** Before each step (0-based index within the epoch). */
  onBatchBegin?(batch: number, trainer: PrivateTrainer): void | Promise<void>;
  /** After each step (0-based index within the epoch). */
  onBatchEnd?(batch: number, logs: TrainLogs, trainer: PrivateTrainer): void | Promise<void>;
  /** After each epoch. */
  onEpochEnd?(epoch: number, logs: TrainLogs, trainer: PrivateTrainer): void | Promise<void>;
  /** After the last step, with why training ended. */
  onTrainEnd?(
    logs: TrainLogs & { readonly reason: FitEndReason },
    trainer: PrivateTrainer,
  ): void | Promise<void>;
}

/** Why {@link PrivateTrainer.fit} returned. */
export type FitEndReason = 'completed' | 'budget' | 'stopped';

/** Options of {@link PrivateTrainer.fit}. */
export interface FitOptions {
  /** Epochs to train now (default: the rest of the planned run). */
  readonly epochs?: number;
  /** Callbacks, called in order. */
  readonly callbacks?: TrainCallbacks | readonly TrainCallbacks[];
  /**
   * Held-out data evaluated after each epoch (`valLoss`, `valAccuracy` in the epoch logs and the history):
   * tensors, an `[x, y]` pair, or a finite dataset of examples or of batches (read once per fit call, its
   * tensors disposed when fit returns). Never the training set: evaluating on it is a release of its own
   * that the accounting does not cover.
   */
  readonly validationData?: ValidationData;
}

/** Result of {@link PrivateTrainer.fit}. */
export interface FitHistory {
  /** Mean training loss per epoch trained (`NaN` with `reportTrainingLoss: false`; not covered by epsilon). */
  readonly loss: number[];
  /** With `nonFinite: 'skip'`: examples left out as non-finite, per epoch trained. */
  readonly skippedExamples?: number[];
  /** Epsilon after each epoch (at the budget's delta; `NaN` without one). */
  readonly epsilon: number[];
  /** Validation loss after each epoch, with {@link FitOptions.validationData}. */
  readonly valLoss?: number[];
  /** Validation accuracy after each epoch, with {@link FitOptions.validationData}. */
  readonly valAccuracy?: number[];
  /** Validation loss of the weight average after each epoch, with `validationData` and `weightAverage`. */
  readonly averagedValLoss?: number[];
  /** Validation accuracy of the weight average after each epoch, with `validationData` and `weightAverage`. */
  readonly averagedValAccuracy?: number[];
  /** Why training ended. */
  readonly reason: FitEndReason;
}

/** Result of {@link PrivateTrainer.evaluate}. */
export interface EvaluationResult {
  /** Mean per-example loss. */
  readonly loss: number;
  /**
   * Fraction of correct predictions, tfjs's `'accuracy'` for the model's output: argmax against one-hot or
   * sparse labels for several outputs; for one output, the prediction thresholded at 0.5 when the output layer's
   * activation gives probabilities (sigmoid, softmax), at 0 when it gives logits (any other activation).
   */
  readonly accuracy: number;
  /** The values of the `metrics` asked for (engine option or `evaluate` option), by name. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Options of {@link PrivateTrainer.evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass (default 256). */
  readonly batchSize?: number;
  /** The trained weights (default) or the run's weight average (`'averaged'`, with the `weightAverage` option). */
  readonly weights?: 'trained' | 'averaged';
  /** Metrics to report instead of the run's `metrics` option (names as tfjs's `compile`, or functions). */
  readonly metrics?: Metric | readonly Metric[];
}

/** Plain, exact state of a trainer (see {@link encodeCheckpoint} for its file form). Keep it secret. */
export interface TrainerState {
  /** The configuration it belongs to (checked on restore). */
  readonly fingerprint: Readonly<Record<string, unknown>>;
  /** Steps taken. */
  readonly step: number;
  /** Every weight of the model (trainable or not), in `model.weights` order. */
  readonly weights: readonly SavedWeight[];
  /** The optimizer's state: moments, noise buffers and noise generator. */
  readonly optimizer: DpSgdState | DpAdamBcState | DpTfjsOptimizerState;
  /** The sampler's position and generator. */
  readonly sampler: BatchSamplerState;
  /** Accountant history: what was composed so far. */
  readonly accountant: SavedAccountant;
  /** Adaptive clipping only: the current threshold and the count-noise generator. */
  readonly adaptiveClipping?: AdaptiveClipNormState;
  /** The weight average, when the run keeps one (`weightAverage` option). */
  readonly weightAverage?: ExponentialWeightAverageState;
  /**
   * The training data the run is bound to (see {@link DataFingerprint}); absent before the run has seen data.
   * A checkpoint without it (written before fingerprints existed) binds the run to the first data given after
   * the restore, since what it was trained on can no longer be told.
   */
  readonly dataFingerprint?: DataFingerprint;
  /** With `nonFinite: 'skip'`: examples left out as non-finite so far. */
  readonly skippedExamples?: number;
}

/** Everything the trainer is built from (made by {@link PrivacyEngine}). */
export interface PrivateTrainerParts {
  /** The validated options. */
  readonly config: EngineConfig;
  /** The run's accounting. */
  readonly accounting: RunAccounting;
  /** Noise multiplier sigma (the total with adaptive clipping). */
  readonly noiseMultiplier: number;
  /** Noise multiplier of the gradient sums. */
  readonly gradientNoiseMultiplier: number;
  /** The private optimizer over the model's trainable variables. */
  readonly optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer;
  /** The sampler the accounting covers. */
  readonly sampler: BatchSampler;
  /** How per-example gradients are clipped. */
  readonly clipping: ClippingOptions;
  /** L2 sensitivity of one example's clipped gradient. */
  readonly clipNorm: number;
  /** The report of the run. */
  readonly report: PrivacyReport;
  /** The settings a checkpoint must match. */
  readonly fingerprint: Readonly<Record<string, unknown>>;
}

/** The option names of {@link PrivateTrainer.fit}. */
const FIT_OPTIONS: readonly string[] = ['epochs', 'callbacks', 'validationData'];

/** Why options of tfjs's `model.fit` have no counterpart here. */
const TFJS_FIT_OPTION_HINTS: Readonly<Record<string, string>> = {
  batchSize: 'the batch size is set by makePrivate, since the accounting depends on it',
  shuffle: 'the engine samples the batches itself, as the accounting assumes',
  validationSplit:
    'split the data yourself and pass the held-out part as validationData (the run is calibrated for the training set size)',
  initialEpoch: 'the trainer knows its epoch; after restoreState, fit continues where the checkpoint stopped',
};

function modelInputNames(model: AnyLayer): string[] | undefined {
  const names = (model as unknown as { inputNames?: unknown }).inputNames;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
}

function modelWeights(model: AnyLayer): LayerVariable[] {
  return (model as unknown as { weights: LayerVariable[] }).weights;
}

/**
 * A private training run: the model, the private optimizer and the sampler, tied to their accounting.
 * Built by {@link PrivacyEngine.makePrivate} or {@link PrivacyEngine.makePrivateWithEpsilon}.
 */
export class PrivateTrainer {
  /** The model trained (its variables are updated in place). */
  readonly model: AnyLayer;
  /** The private optimizer (clipped sums + correlated noise). */
  readonly optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer;
  /** The batch sampler whose participation the accounting covers. */
  readonly sampler: BatchSampler;
  /** What the run is and how it is accounted. */
  readonly report: PrivacyReport;
  /** Set to true (e.g. from a callback) to make {@link PrivateTrainer.fit} stop after the current step. */
  stopTraining = false;
  readonly #config: EngineConfig;
  readonly #accounting: RunAccounting;
  /** The gradient noise multiplier: what the accounting of the gradient sums uses. */
  readonly #noiseMultiplier: number;
  readonly #totalNoiseMultiplier: number;
  readonly #clipping: ClippingOptions;
  readonly #fingerprint: Readonly<Record<string, unknown>>;
  readonly #normaliser: number;
  #steps = 0;
  #failed = false;
  /** Tensors read from the last dataset given to fit: the trainer's own, disposed on dispose() or replacement. */
  #materialised: { readonly source: ExampleDataset; readonly data: EngineData } | undefined;
  #fitting = false;
  /** The batch and clipped sums `stepAsync` computed for the step it runs. */
  #pending:
    | { indices: ReturnType<BatchSampler['nextBatch']>; clipped: ClippedGradients | undefined }
    | undefined;
  #stepping = false;
  /** Whether the first-step self-check of the per-example gradients has passed (or is switched off). */
  #perExampleVerified: boolean;
  readonly #average: ExponentialWeightAverage | undefined;
  readonly #data: DataBinding;
  #skippedExamples = 0;
  /** Examples skipped by the last step (`nonFinite: 'skip'`). */
  #lastSkipped = 0;

  /** Use {@link PrivacyEngine}: it validates the options and builds the parts. */
  constructor(parts: PrivateTrainerParts) {
    this.#config = parts.config;
    this.model = parts.config.model;
    this.optimizer = parts.optimizer;
    this.sampler = parts.sampler;
    this.report = parts.report;
    this.#accounting = parts.accounting;
    this.#noiseMultiplier = parts.gradientNoiseMultiplier;
    this.#totalNoiseMultiplier = parts.noiseMultiplier;
    this.#clipping = parts.clipping;
    this.#fingerprint = parts.fingerprint;
    this.#perExampleVerified = !parts.config.verifyPerExample;
    // A public constant: the (expected) batch size, never the realised one (which depends on the data).
    this.#normaliser = parts.config.lossReduction === 'mean' ? parts.report.run.batchSize : 1;
    this.#average =
      parts.config.weightAverage === undefined
        ? undefined
        : new ExponentialWeightAverage(this.model, parts.config.weightAverage);
    this.#data = new DataBinding({
      mode: parts.report.mode,
      participation: parts.report.participation,
      stepsPerEpoch: parts.report.run.stepsPerEpoch,
    });
  }

  /**
   * The exponential moving average of the trained weights, updated after every step, when the run keeps one
   * (`weightAverage` option): evaluate it with `withAveragedWeights(fn)` or
   * `evaluate(data, { weights: 'averaged' })`. A function of the released iterates only: no privacy cost.
   */
  get weightAverage(): ExponentialWeightAverage | undefined {
    return this.#average;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Steps of the whole planned run. */
  get totalSteps(): number {
    return this.#accounting.shape.totalSteps;
  }

  /** Epochs completed (steps taken / steps per epoch, rounded down). */
  get epoch(): number {
    return Math.floor(this.#steps / this.#accounting.shape.stepsPerEpoch);
  }

  /** Noise multiplier sigma (with adaptive clipping the total, see {@link PrivacyReport.noiseMultiplier}). */
  get noiseMultiplier(): number {
    return this.#totalNoiseMultiplier;
  }

  /** Noise multiplier of the gradient sums (larger than {@link PrivateTrainer.noiseMultiplier} with adaptive clipping). */
  get gradientNoiseMultiplier(): number {
    return this.#noiseMultiplier;
  }

  /**
   * The clipping threshold of the next step (it moves with adaptive clipping; for per-layer clipping the root
   * of the summed squared thresholds).
   */
  get maxGradNorm(): number {
    const clipping = this.#clipping;
    return clipping.mode === 'adaptive' ? clipping.state.maxGradNorm : this.report.clipNorm;
  }

  /**
   * Epsilon spent so far at `delta` (default: the budget's delta): the accountant's value for the steps
   * taken. Infinity without noise.
   */
  getEpsilon(delta?: number): number {
    const d = delta ?? this.#config.targetDelta;
    if (d === undefined) throw new TypeError('getEpsilon needs a delta in (0, 1): no targetDelta was set');
    return this.#accounting.epsilonAfter(this.#steps, this.#noiseMultiplier, d);
  }

  /**
   * A `@cnm/accountant` accountant holding the events of the steps taken; its `getEpsilon(delta)` is
   * {@link PrivateTrainer.getEpsilon}. Throws without noise (infinite epsilon).
   */
  accountant(): PrivacyAccountant {
    return this.#accounting.accountantAfter(this.#steps, this.#noiseMultiplier);
  }

  /** Steps the budget allows (the planned run when no budget is set or it fits). */
  get stepsWithinBudget(): number {
    return this.report.stepsWithinBudget;
  }

  /**
   * One private step: draws the next batch from the sampler, computes the clipped per-example gradient sums,
   * adds the correlated noise and updates the model. Returns the batch's mean loss (`NaN` for an empty
   * Poisson batch, which still takes a noisy step). Refuses a step beyond the planned run, and (by default) a
   * step that would take epsilon above the budget, with a {@link BudgetExceededError}. A run with a
   * `clippedGradients` provider steps with {@link PrivateTrainer.stepAsync} instead.
   *
   * `data` (`{ x, y }` or `{ xs, ys }` tensors of the whole training set, the caller's: never disposed) is
   * what the batch is drawn from; without it, the data given to `makePrivate`. It must have the number of
   * examples the run was set up for. A `tf.data.Dataset` goes to {@link PrivateTrainer.fit}.
   */
  step(data?: TensorData): number {
    return this.#stepOn(this.#boundData(this.#trainingTensors(data, 'step')));
  }

  /**
   * Checks that `source` is the training set this run is bound to (its first data, or a checkpoint's) before
   * any batch is drawn from it; a reordered or other copy is refused with a {@link DataMismatchError}.
   */
  #boundData(source: EngineData): EngineData {
    this.#data.check(source, this.#steps, (data) =>
      probePerExampleLoss(this.model, this.#config.lossFn, data),
    );
    return source;
  }

  /** With `nonFinite: 'skip'`, examples left out of the clipped sums as non-finite over the run so far. */
  get skippedExamples(): number {
    return this.#skippedExamples;
  }

  /** The tensors of a step or fit: those given (checked), or those given to `makePrivate`. */
  #trainingTensors(data: TensorData | undefined, caller: string): EngineData {
    if (data === undefined) {
      if (this.#config.data === undefined) {
        throw new TypeError(
          `${caller} needs the training data: this run was set up with datasetSize ${this.report.run.datasetSize} only, ` +
            `so pass the data to ${caller === 'fit' ? 'fit(data, options)' : 'step(data)'}`,
        );
      }
      return this.#config.data;
    }
    if (isExampleDataset(data)) {
      throw new TypeError(
        `${caller} takes tensors here; a tf.data.Dataset goes to fit(dataset, options), which reads it once into tensors`,
      );
    }
    const checked = toEngineData(data, 'data');
    this.#checkSize(checked.size);
    // Checked here, before a step draws its batch: a step failing midway would block the run.
    const expected = modelExampleShapes(this.model);
    if (expected !== undefined) checkExampleShapes(checked.data, expected, 'data');
    return checked.data;
  }

  #checkSize(size: number): void {
    const expected = this.report.run.datasetSize;
    if (size !== expected) {
      throw new RangeError(
        `data has ${size} examples, but this run's privacy was calibrated for ${expected} ` +
          '(the sampling rate and the steps per epoch depend on it): give the data the run was set up for',
      );
    }
  }

  #stepOn(source: EngineData): number {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined && this.#config.clippedGradients !== undefined) {
      throw new TypeError(
        'this run computes its clipped gradients asynchronously (clippedGradients): use stepAsync()',
      );
    }
    const next = pending === undefined ? this.#checkNextStep() : this.#steps + 1;
    if (pending === undefined) this.#verifyPerExampleOnce(source);
    // A step that fails midway has drawn a batch and perhaps noise: the run can only go on from a checkpoint.
    this.#failed = true;
    let loss = Number.NaN;
    this.#lastSkipped = 0;
    const indices = pending?.indices ?? this.sampler.nextBatch();
    const adaptive = this.#clipping.mode === 'adaptive' ? this.#clipping.state : undefined;
    if (indices.length === 0) {
      const zeros: tf.NamedTensorMap = {};
      for (const variable of this.optimizer.variables) zeros[variable.name] = tf.zerosLike(variable);
      // An empty batch still releases its (noise-only) count: skipping it would depend on the data.
      const threshold = adaptive?.maxGradNorm;
      adaptive?.update(0, 0);
      this.optimizer.step(zeros, this.#normaliser, threshold);
      tf.dispose(zeros);
    } else {
      const result =
        pending !== undefined
          ? undefined
          : tf.tidy(() => {
              const index = tf.tensor1d(indices, 'int32');
              const { x, y } = source;
              const xs = Array.isArray(x) ? x.map((t) => tf.gather(t, index)) : tf.gather(x, index);
              return { x: xs, y: tf.gather(y, index) };
            });
      try {
        const clipped =
          pending?.clipped ??
          atStep(next, indices, () =>
            computeClippedGradients({
              model: this.model,
              lossFn: this.#config.lossFn,
              x: result!.x,
              y: result!.y,
              ...this.#clippingOptions(),
            }),
          );
        try {
          // With adaptive clipping computeClippedGradients has released the count of real examples with norm at
          // most this step's threshold (over every physical chunk) and moved the threshold for the next step; the
          // noise follows the threshold these sums were clipped to, `clipped.sensitivity`.
          this.optimizer.step(
            Object.fromEntries(clipped.gradients),
            this.#normaliser,
            adaptive === undefined ? undefined : clipped.sensitivity,
          );
          // Read only when reported: the mean loss is a release of its own (see reportTrainingLoss).
          if (this.#config.reportTrainingLoss) loss = clipped.loss.dataSync()[0] as number;
          this.#lastSkipped = clipped.skippedExamples;
        } finally {
          tf.dispose([...clipped.gradients.values()]);
          tf.dispose([clipped.perExampleNorms, clipped.perLayerNorms, clipped.clipFactors, clipped.loss]);
        }
      } finally {
        if (result !== undefined) tf.dispose(result);
      }
    }
    this.#average?.update();
    this.#skippedExamples += this.#lastSkipped;
    this.#failed = false;
    this.#steps = next;
    return loss;
  }

  /** The first-step self-check (`verifyPerExample`), before the first batch is drawn; throws on a mismatch. */
  #verifyPerExampleOnce(source: EngineData): void {
    if (this.#perExampleVerified) return;
    verifyRunPerExample({
      model: this.model,
      lossFn: this.#config.lossFn,
      data: source,
      clipping: this.#clipping,
      ...(this.#config.perExampleMethod === undefined
        ? {}
        : { perExampleMethod: this.#config.perExampleMethod }),
    });
    this.#perExampleVerified = true;
  }

  /** How a batch is clipped, the same in this thread and in a `clippedGradients` provider. */
  #clippingOptions(): Pick<
    ClippedGradientsRequest,
    'clipping' | 'perExampleMethod' | 'physicalBatchSize' | 'nonFinite' | 'computeLoss'
  > {
    return {
      clipping: this.#clipping,
      ...(this.#config.perExampleMethod === undefined
        ? {}
        : { perExampleMethod: this.#config.perExampleMethod }),
      ...(this.#config.physicalBatchSize === undefined
        ? {}
        : { physicalBatchSize: this.#config.physicalBatchSize }),
      nonFinite: this.#config.nonFinite,
      computeLoss: this.#config.reportTrainingLoss,
    };
  }

  /** The checks before a step (see {@link PrivateTrainer.step}); returns the step's number. */
  #checkNextStep(): number {
    if (this.#failed) {
      throw new Error(
        'a previous step failed midway (batch drawn, update not applied): restore a checkpoint to go on',
      );
    }
    const next = this.#steps + 1;
    if (next > this.totalSteps) {
      throw new RangeError(
        `the accounting covers ${this.totalSteps} steps (${this.report.run.epochs} epochs); step ${next} would leave it: ` +
          'make a new private run for more epochs',
      );
    }
    if (next > this.report.stepsWithinBudget && this.#config.budgetPolicy === 'refuse') {
      const delta = this.#config.targetDelta as number;
      throw new BudgetExceededError(
        `step ${next} would take epsilon to ${this.#accounting.epsilonAfter(next, this.#noiseMultiplier, delta)} ` +
          `(delta ${delta}), above the budget ${this.#config.targetEpsilon}`,
        this.#steps,
        this.getEpsilon(),
      );
    }
    return next;
  }

  /**
   * {@link PrivateTrainer.step} for a run whose clipped gradients come from a `clippedGradients` provider (a
   * worker pool): draws the batch, awaits the provider's clipped sums, then adds the noise and updates the model
   * on this thread exactly as `step` does. Without a provider it is `step(data)`. One step at a time.
   */
  async stepAsync(data?: TensorData): Promise<number> {
    return this.#stepAsyncOn(this.#boundData(this.#trainingTensors(data, 'step')));
  }

  async #stepAsyncOn(source: EngineData): Promise<number> {
    const provider = this.#config.clippedGradients;
    if (provider === undefined) return this.#stepOn(source);
    if (this.#stepping) throw new Error('a step is already running: await it before the next one');
    this.#checkNextStep();
    // On this thread, before the provider computes anything.
    this.#verifyPerExampleOnce(source);
    this.#stepping = true;
    try {
      this.#failed = true;
      const indices = this.sampler.nextBatch();
      const clipped =
        indices.length === 0
          ? undefined
          : await atStep(this.#steps + 1, indices, () =>
              provider.compute({
                model: this.model,
                data: source,
                indices,
                ...this.#clippingOptions(),
              }),
            );
      this.#pending = { indices, clipped };
      return this.#stepOn(source);
    } finally {
      this.#pending = undefined;
      this.#stepping = false;
    }
  }

  #logs(loss: number, skippedExamples = this.#lastSkipped): TrainLogs {
    const delta = this.#config.targetDelta;
    return {
      loss,
      ...(this.#config.nonFinite === 'skip' ? { skippedExamples } : {}),
      epsilon:
        delta === undefined
          ? Number.NaN
          : this.#accounting.epsilonAfter(this.#steps, this.#noiseMultiplier, delta),
      steps: this.#steps,
    };
  }

  /**
   * Trains on the data given to `makePrivate` (see the other overload to pass the data here).
   *
   * @param options - Epochs, callbacks and validation data.
   */
  fit(options?: FitOptions): Promise<FitHistory>;
  /**
   * Trains for `epochs` epochs (default: the rest of the planned run) on `data`, calling the callbacks in
   * Keras order (onTrainBegin, then per epoch onEpochBegin, onBatchBegin/onBatchEnd per step, onEpochEnd,
   * and onTrainEnd). Ends early when the budget allows no further step (reason `'budget'`) or when
   * {@link PrivateTrainer.stopTraining} is set (reason `'stopped'`).
   *
   * The data, as tfjs users have it:
   * - `{ x, y }` or `{ xs, ys }` tensors of the whole training set: used as they are, never disposed (the
   *   caller's);
   * - a finite, unbatched `tf.data.Dataset` of single examples `{ xs, ys }`: read once into tensors the
   *   trainer owns (kept for the next fit with the same dataset object, disposed by
   *   {@link PrivateTrainer.dispose} or when another dataset replaces them). A batched or endless dataset is
   *   refused: the engine draws every batch itself, as the privacy accounting assumes its own sampling.
   *
   * Either way the data must have the number of examples the run was set up for (`data` or `datasetSize`
   * of `makePrivate`), which the sampling rate and the steps per epoch depend on; otherwise a RangeError
   * names both sizes. The data is not part of a checkpoint, only its fingerprint: after restoring one, call fit
   * with the same data in the same order (other data is refused with a `DataMismatchError`).
   *
   * @param data - The training set (tensors or an unbatched dataset of examples).
   * @param options - Epochs, callbacks and validation data.
   */
  fit(data: TrainingData, options?: FitOptions): Promise<FitHistory>;
  /**
   * tfjs's `model.fit(x, y, args)`: tfjs-layers callbacks (`tfl.callbacks.earlyStopping`, `CustomCallbackArgs`), logs
   * under tfjs's keys (`loss`, `val_loss`, `val_acc`, and `epsilon`), and a tfjs `History`; see {@link fitTensors}.
   *
   * @param x - Inputs of the whole training set (an array for multi-input models).
   * @param y - Targets of the whole training set.
   * @param args - `epochs`, `initialEpoch`, `validationData`, `callbacks`, `verbose`.
   */
  fit(
    x: tf.Tensor | tf.Tensor[],
    y: tf.Tensor,
    args?: PrivateModelFitArgs,
  ): Promise<History & { readonly reason: FitEndReason }>;
  async fit(
    first?: TrainingData | FitOptions | tf.Tensor | tf.Tensor[],
    second?: FitOptions | tf.Tensor,
    third?: PrivateModelFitArgs,
  ): Promise<FitHistory | (History & { readonly reason: FitEndReason })> {
    if ((isTensor(first) || (Array.isArray(first) && first.every(isTensor))) && isTensor(second)) {
      return fitTensors(this, first as tf.Tensor | tf.Tensor[], second, third);
    }
    if (third !== undefined) throw new TypeError('fit takes (options), (data, options) or (x, y, args)');
    const dataGiven =
      first !== null &&
      typeof first === 'object' &&
      ('x' in first || 'xs' in first || 'y' in first || 'ys' in first || isExampleDataset(first));
    if (isTensor(first) || Array.isArray(first)) {
      throw new TypeError(
        'fit takes the data as one object, fit({ x, y }, options) or fit(dataset, options), or as tfjs does, fit(x, y, args)',
      );
    }
    if (!dataGiven && second !== undefined) {
      throw new TypeError(
        'fit takes (options) or (data, options), where data is { x, y }, { xs, ys } or a dataset',
      );
    }
    const data = dataGiven ? (first as TrainingData) : undefined;
    const options = ((dataGiven ? second : first) as FitOptions | undefined) ?? {};
    if (options === null || typeof options !== 'object') throw new TypeError('fit options must be an object');
    const unknown = Object.keys(options).filter((k) => !FIT_OPTIONS.includes(k));
    if (unknown.length > 0) {
      const hints = unknown.flatMap((k) =>
        TFJS_FIT_OPTION_HINTS[k] === undefined ? [] : [`${k}: ${TFJS_FIT_OPTION_HINTS[k]}`],
      );
      throw new TypeError(
        `unknown fit option(s) ${unknown.join(', ')}; the options are ${FIT_OPTIONS.join(', ')} (the data goes first: fit(data, options))` +
          (hints.length > 0 ? `. ${hints.join('; ')}` : ''),
      );
    }
    if (data !== undefined && !isExampleDataset(data)) {
      const extra = Object.keys(data).filter((k) => !['x', 'y', 'xs', 'ys'].includes(k));
      if (extra.length > 0) {
        throw new TypeError(
          `fit data holds ${extra.join(', ')}: it must be { x, y } or { xs, ys }, with the options as second argument`,
        );
      }
    }
    const perEpoch = this.#accounting.shape.stepsPerEpoch;
    const remainingEpochs = Math.ceil((this.totalSteps - this.#steps) / perEpoch);
    const epochs = options.epochs ?? remainingEpochs;
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > remainingEpochs) {
      throw new RangeError(
        `epochs must be an integer in [1, ${remainingEpochs}] (the rest of the run), got ${String(epochs)}`,
      );
    }
    const callbacks =
      options.callbacks === undefined
        ? []
        : Array.isArray(options.callbacks)
          ? options.callbacks
          : [options.callbacks];
    if (this.#fitting) throw new Error('fit is already running on this trainer: await it first');
    this.#fitting = true;
    let validation: { data: EngineData; owned: boolean } | undefined;
    try {
      const source = this.#boundData(
        isExampleDataset(data) ? await this.#materialise(data) : this.#trainingTensors(data, 'fit'),
      );
      validation = await this.#validationTensors(options.validationData, source);
      return await this.#train(source, epochs, callbacks as TrainCallbacks[], validation?.data);
    } finally {
      if (validation?.owned === true) disposeData(validation.data);
      this.#fitting = false;
    }
  }

  /** Reads a training dataset into tensors, or reuses those read from the same dataset object. */
  async #materialise(dataset: ExampleDataset): Promise<EngineData> {
    if (this.#materialised?.source === dataset) return this.#materialised.data;
    const read = await materialiseDataset(dataset, {
      name: 'data',
      exampleShapes:
        modelExampleShapes(this.model) ??
        (this.#config.data === undefined ? undefined : exampleShapesOf(this.#config.data)),
      inputNames: modelInputNames(this.model),
      expectedSize: this.report.run.datasetSize,
    });
    this.dispose();
    this.#materialised = { source: dataset, data: read.data };
    return read.data;
  }

  async #validationTensors(
    data: ValidationData | undefined,
    training: EngineData,
  ): Promise<{ data: EngineData; owned: boolean } | undefined> {
    if (data === undefined) return undefined;
    if (isExampleDataset(data)) {
      const read = await materialiseDataset(data, {
        name: 'validationData',
        exampleShapes: modelExampleShapes(this.model) ?? exampleShapesOf(training),
        inputNames: modelInputNames(this.model),
      });
      return { data: read.data, owned: true };
    }
    const tensors = Array.isArray(data) ? { x: data[0], y: data[1] } : data;
    const checked = toEngineData(tensors, 'validationData').data;
    checkExampleShapes(
      checked,
      modelExampleShapes(this.model) ?? exampleShapesOf(training),
      'validationData',
    );
    return { data: checked, owned: false };
  }

  async #train(
    source: EngineData,
    epochs: number,
    callbacks: readonly TrainCallbacks[],
    validation: EngineData | undefined,
  ): Promise<FitHistory> {
    const perEpoch = this.#accounting.shape.stepsPerEpoch;
    const call = async <K extends keyof TrainCallbacks>(
      name: K,
      ...args: Parameters<NonNullable<TrainCallbacks[K]>>
    ) => {
      for (const cb of callbacks) {
        const fn = cb[name] as ((...a: unknown[]) => void | Promise<void>) | undefined;
        if (fn !== undefined) await fn.apply(cb, args);
      }
    };
    this.stopTraining = false;
    const history = {
      loss: [] as number[],
      epsilon: [] as number[],
      ...(this.#config.nonFinite === 'skip' ? { skippedExamples: [] as number[] } : {}),
      ...(validation === undefined ? {} : { valLoss: [] as number[], valAccuracy: [] as number[] }),
      ...(validation === undefined || this.#average === undefined
        ? {}
        : { averagedValLoss: [] as number[], averagedValAccuracy: [] as number[] }),
    };
    // Logs of an epoch (validation metrics included), recorded in the history.
    let skippedThisEpoch = 0;
    const record = (loss: number): TrainLogs => {
      const logs = this.#logs(loss, skippedThisEpoch);
      history.loss.push(loss);
      history.skippedExamples?.push(skippedThisEpoch);
      history.epsilon.push(logs.epsilon);
      if (validation === undefined) return logs;
      const { loss: valLoss, accuracy: valAccuracy } = this.evaluate(validation);
      history.valLoss?.push(valLoss);
      history.valAccuracy?.push(valAccuracy);
      if (this.#average === undefined) return { ...logs, valLoss, valAccuracy };
      const averaged = this.evaluate(validation, { weights: 'averaged' });
      history.averagedValLoss?.push(averaged.loss);
      history.averagedValAccuracy?.push(averaged.accuracy);
      return {
        ...logs,
        valLoss,
        valAccuracy,
        averagedValLoss: averaged.loss,
        averagedValAccuracy: averaged.accuracy,
      };
    };
    let reason: FitEndReason = 'completed';
    let lastLoss = Number.NaN;
    await call('onTrainBegin', this);
    outer: for (let e = 0; e < epochs; e++) {
      const epoch = Math.floor(this.#steps / perEpoch);
      await call('onEpochBegin', epoch, this);
      let sum = 0;
      let count = 0;
      skippedThisEpoch = 0;
      const stepsThisEpoch = Math.min(perEpoch - (this.#steps % perEpoch), this.totalSteps - this.#steps);
      for (let batch = 0; batch < stepsThisEpoch; batch++) {
        if (this.#steps >= this.report.stepsWithinBudget && this.#config.budgetPolicy === 'refuse') {
          reason = 'budget';
        } else {
          await call('onBatchBegin', batch, this);
          const loss =
            this.#config.clippedGradients === undefined
              ? this.#stepOn(source)
              : await this.#stepAsyncOn(source);
          if (!Number.isNaN(loss)) {
            sum += loss;
            count++;
          }
          skippedThisEpoch += this.#lastSkipped;
          await call('onBatchEnd', batch, this.#logs(loss), this);
          // Let the event loop run (a browser repaints its progress, a server answers) between steps.
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.stopTraining) reason = 'stopped';
        }
        if (reason !== 'completed') {
          if (count > 0) {
            lastLoss = sum / count;
            record(lastLoss);
          }
          break outer;
        }
      }
      lastLoss = count > 0 ? sum / count : Number.NaN;
      await call('onEpochEnd', epoch, record(lastLoss), this);
      if (this.stopTraining) {
        reason = 'stopped';
        break;
      }
    }
    await call('onTrainEnd', { ...this.#logs(lastLoss, this.#skippedExamples), reason }, this);
    return { ...history, reason };
  }

  /**
   * Releases the tensors the trainer owns: those it read from a dataset given to
   * {@link PrivateTrainer.fit}. The model, the optimizer and tensors given by the caller are left alone; a
   * later fit with a dataset reads it again.
   */
  dispose(): void {
    if (this.#materialised !== undefined) disposeData(this.#materialised.data);
    this.#materialised = undefined;
  }

  /**
   * Mean per-example loss and accuracy of the model on `data`: of its trained weights, or with
   * `weights: 'averaged'` of the run's weight average (`weightAverage` option). Use held-out data: evaluating on
   * the training set is a release of its own that the accounting does not cover.
   */
  evaluate(data: TensorData, options: EvaluateOptions = {}): EvaluationResult {
    const weights = options.weights ?? 'trained';
    if (weights !== 'trained' && weights !== 'averaged') {
      throw new RangeError(`weights must be 'trained' or 'averaged', got ${JSON.stringify(weights)}`);
    }
    if (weights === 'averaged') {
      const average = this.#average;
      if (average === undefined) {
        throw new TypeError("weights 'averaged' needs a run made with the weightAverage option");
      }
      return average.withAveragedWeights(() => this.evaluate(data, { ...options, weights: 'trained' }));
    }
    const metrics =
      options.metrics === undefined ? this.#config.metrics : resolveMetrics(options.metrics, 'metrics');
    const outputKind = outputKindOf(this.model);
    const { x, y } = toEngineData(data, 'data').data;
    const size = y.shape[0] as number;
    const batchSize = options.batchSize ?? 256;
    let lossSum = 0;
    const sums = new Float64Array(metrics.length + 1);
    for (let start = 0; start < size; start += batchSize) {
      const count = Math.min(batchSize, size - start);
      const [l, ...values] = tf.tidy(() => {
        const xs = Array.isArray(x) ? x.map((t) => tf.slice(t, start, count)) : tf.slice(x, start, count);
        const ys = tf.slice(y, start, count);
        const prediction = this.model.apply(xs, { training: false }) as tf.Tensor;
        const loss = tf.sum(this.#config.lossFn(ys, prediction));
        const totals = [ACCURACY, ...metrics].map((m) => tf.sum(m.perExample(ys, prediction, outputKind)));
        return Array.from(tf.stack([loss, ...totals]).dataSync());
      });
      lossSum += l as number;
      values.forEach((v, i) => {
        sums[i] = (sums[i] as number) + v;
      });
    }
    return {
      loss: lossSum / size,
      accuracy: (sums[0] as number) / size,
      metrics: Object.fromEntries(metrics.map((m, i) => [m.name, (sums[i + 1] as number) / size])),
    };
  }

  /** Exact copy of the whole state (weights, optimizer, noise, generators, sampler, accountant). Keep it secret. */
  exportState(): TrainerState {
    return {
      fingerprint: this.#fingerprint,
      step: this.#steps,
      weights: modelWeights(this.model).map((w) => ({
        name: w.name,
        shape: w.shape.map((d) => d ?? 0),
        values: new Float32Array(w.read().dataSync() as Float32Array),
      })),
      optimizer: this.optimizer.exportState(),
      sampler: this.sampler.exportState(),
      accountant: {
        state: this.#accounting.historyAfter(this.#steps, this.#noiseMultiplier),
        accounting: this.report.accounting,
        steps: this.#steps,
        noiseMultiplier: this.#noiseMultiplier,
        sensitivity: this.report.sensitivity,
      },
      ...(this.#clipping.mode === 'adaptive' ? { adaptiveClipping: this.#clipping.state.exportState() } : {}),
      ...(this.#average === undefined ? {} : { weightAverage: this.#average.exportState() }),
      ...(this.#data.fingerprint === undefined ? {} : { dataFingerprint: this.#data.fingerprint }),
      ...(this.#config.nonFinite === 'skip' ? { skippedExamples: this.#skippedExamples } : {}),
    };
  }

  /**
   * Restores a state exported by a trainer built with the same configuration; everything is checked before
   * anything changes, and a mismatch is refused with the first differing setting.
   */
  restoreState(state: TrainerState): void {
    if (state === null || typeof state !== 'object' || typeof state.fingerprint !== 'object') {
      throw new TypeError('state must be a TrainerState (from exportState or decodeCheckpoint)');
    }
    for (const [key, value] of Object.entries(this.#fingerprint)) {
      const saved = JSON.stringify(state.fingerprint[key]);
      if (saved !== JSON.stringify(value)) {
        throw new RangeError(
          `checkpoint does not match this run: ${key} is ${saved}, this run has ${JSON.stringify(value)}`,
        );
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0 || state.step > this.totalSteps) {
      throw new RangeError(
        `checkpoint step must be an integer in [0, ${this.totalSteps}], got ${String(state.step)}`,
      );
    }
    if (
      state.accountant?.steps !== state.step ||
      state.optimizer?.step !== state.step ||
      state.sampler?.step !== state.step
    ) {
      throw new RangeError(
        'checkpoint is inconsistent: accountant, optimizer and sampler steps differ from its step',
      );
    }
    const history = JSON.stringify(this.#accounting.historyAfter(state.step, this.#noiseMultiplier));
    if (JSON.stringify(state.accountant.state) !== history) {
      throw new RangeError(
        `checkpoint is inconsistent: its accountant history is not that of ${state.step} steps of this run`,
      );
    }
    const weights = modelWeights(this.model);
    if (!Array.isArray(state.weights) || state.weights.length !== weights.length) {
      throw new RangeError(
        `checkpoint must hold ${weights.length} model weights, got ${String(state.weights?.length)}`,
      );
    }
    weights.forEach((w, i) => {
      const saved = state.weights[i];
      if (
        saved === undefined ||
        saved.shape.join(',') !== w.shape.join(',') ||
        !(saved.values instanceof Float32Array) ||
        saved.values.length !== tf.util.sizeFromShape(w.shape.map((d) => d ?? 0))
      ) {
        throw new RangeError(`checkpoint weight ${i} must have shape [${w.shape.join(', ')}] ('${w.name}')`);
      }
    });
    const dataFingerprint =
      state.dataFingerprint === undefined
        ? undefined
        : checkDataFingerprint(state.dataFingerprint, 'checkpoint dataFingerprint');
    if (dataFingerprint !== undefined && dataFingerprint.examples !== this.report.run.datasetSize) {
      throw new RangeError(
        `checkpoint is inconsistent: its data fingerprint covers ${dataFingerprint.examples} examples, this run ${this.report.run.datasetSize}`,
      );
    }
    const skipped = state.skippedExamples ?? 0;
    if (!Number.isSafeInteger(skipped) || skipped < 0) {
      throw new RangeError(
        `checkpoint skippedExamples must be an integer >= 0, got ${String(state.skippedExamples)}`,
      );
    }
    const adaptive = this.#clipping.mode === 'adaptive' ? this.#clipping.state : undefined;
    checkOptionalPart(adaptive !== undefined, state.adaptiveClipping, state.step, {
      unexpected: 'checkpoint holds an adaptive clipping state, this run has none',
      missing: 'checkpoint must hold the adaptive clipping state (threshold and count-noise generator)',
      inconsistent: 'checkpoint is inconsistent: the adaptive clipping updates differ from its step',
    });
    const average = this.#average;
    checkOptionalPart(average !== undefined, state.weightAverage, state.step, {
      unexpected: 'checkpoint holds a weight average, this run keeps none (weightAverage option)',
      missing: 'checkpoint must hold the weight average of this run (weightAverage option)',
      inconsistent: 'checkpoint is inconsistent: the weight average updates differ from its step',
    });
    // Optimizer, sampler and adaptive clipping check their own states before changing anything; the sampler is
    // the cheaper to fail, so it goes first, then the adaptive clipping, then the optimizer, then the weights.
    const samplerBefore = this.sampler.exportState();
    const adaptiveBefore = adaptive?.exportState();
    const averageBefore = average?.exportState();
    this.sampler.restoreState(state.sampler);
    try {
      if (adaptive !== undefined) adaptive.restoreState(state.adaptiveClipping as AdaptiveClipNormState);
      if (average !== undefined) average.restoreState(state.weightAverage as ExponentialWeightAverageState);
      (this.optimizer as DpSgd).restoreState(state.optimizer as DpSgdState);
    } catch (error) {
      this.sampler.restoreState(samplerBefore);
      if (adaptive !== undefined) adaptive.restoreState(adaptiveBefore as AdaptiveClipNormState);
      if (average !== undefined) average.restoreState(averageBefore as ExponentialWeightAverageState);
      throw error;
    }
    weights.forEach((w, i) => {
      const saved = state.weights[i] as SavedWeight;
      const value = tf.tensor(saved.values, [...saved.shape], 'float32');
      w.write(value);
      value.dispose();
    });
    this.#steps = state.step;
    this.#failed = false;
    this.#data.restore(dataFingerprint);
    this.#skippedExamples = skipped;
  }
}

/**
 * Runs `compute` (the clipped sums of step `step`, sync or async), naming the step and the training set's
 * indices of the batch `indices` in a {@link NonFiniteExamplesError}.
 */
function atStep<T>(step: number, indices: ArrayLike<number>, compute: () => T): T {
  const rename = (error: unknown): never => {
    throw error instanceof NonFiniteExamplesError ? error.atStep(step, indices) : error;
  };
  try {
    const result = compute();
    return (result instanceof Promise ? result.catch(rename) : result) as T;
  } catch (error) {
    return rename(error);
  }
}

/**
 * Checks an optional part of a checkpoint (adaptive clipping, weight average): present exactly when the run keeps
 * one, and updated once per step of the checkpoint.
 */
function checkOptionalPart(
  kept: boolean,
  saved: { readonly updates: number } | undefined,
  step: number,
  messages: { readonly unexpected: string; readonly missing: string; readonly inconsistent: string },
): void {
  if (kept !== (saved !== undefined)) throw new RangeError(kept ? messages.missing : messages.unexpected);
  if (kept && saved?.updates !== step) throw new RangeError(messages.inconsistent);
}

/** The trainable variables of a model and the names of their layers. */
export interface TrainableVariables {
  /** The trainable tf.Variables, in the per-example engine's order. */
  readonly variables: tf.Variable[];
  /** Names of the trainable layers, in order. */
  readonly layerNames: string[];
}

/** The trainable tf.Variables of a model, in per-example engine order, with their layers. */
export function trainableVariables(model: AnyLayer): TrainableVariables {
  const entries = collectTrainableLayers(model);
  return {
    variables: entries.flatMap((e) => e.variables.map((v) => v.read() as tf.Variable)),
    layerNames: entries.map((e) => e.layer.name),
  };
}
