/**
 * The private training loop: one `step` for custom loops, a Keras-like `fit` with callbacks, evaluation,
 * the privacy spent so far, the enforced budget, and the exact state for checkpoints.
 */

import type { PrivacyAccountant } from '@cnm/accountant';
import type { DpAdamBc, DpSgd, DpTfjsOptimizer } from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import type * as tf from '@tensorflow/tfjs-core';
import type { RunAccounting } from './accounting';
import type { ClippedGradientsRequest } from './clipped-gradients-provider';
import type { ClippingOptions } from './clipping';
import type { ClippedGradients } from './compute-clipped-gradients';
import { DataBinding } from './data-fingerprint';
import type { EngineConfig } from './engine-config';
import { type EvaluateOptions, type EvaluationResult, evaluateModel } from './evaluation';
import {
  type FitCallbacks,
  type FitHistory,
  type FitLoopOptions,
  fitPlan,
  parseFitArguments,
  runFitLoop,
  type TrainLogs,
  validationTensors,
} from './fit-loop';
import { type FitTensorsHistory, fitTensors, type PrivateModelFitArgs } from './fit-tensors';
import { probePerExampleLoss } from './loss-probe';
import { resolveMetrics } from './metrics';
import type { AnyLayer } from './per-example/types';
import type { PrivacyReport } from './privacy-report';
import { applyPrivateStep, atStep, BudgetExceededError } from './private-step';
import {
  exportTrainerState,
  restoreTrainerState,
  type TrainerState,
  type TrainerStateParts,
} from './trainer-state';
import { type BatchAccuracy, type TrainingAccuracy, trainingAccuracyOf } from './training-accuracy';
import {
  disposeData,
  type EngineData,
  type ExampleDataset,
  exampleShapesOf,
  isExampleDataset,
  isTensor,
  materialiseDataset,
  modelExampleShapes,
  modelInputNames,
  type TensorData,
  type TrainingData,
  trainingTensorsOf,
} from './training-data';
import { assertOneOf } from './validate';
import { verifyRunPerExample } from './verify-per-example';
import { ExponentialWeightAverage } from './weight-average';

/** Everything the trainer is built from (made by {@link PrivacyEngine}). */
export interface PrivateTrainerParts {
  /** The validated options. */
  readonly config: EngineConfig;
  /** The run's accounting. */
  readonly accounting: RunAccounting;
  /** The private optimizer over the model's trainable variables. */
  readonly optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer;
  /** The sampler the accounting covers. */
  readonly sampler: BatchSampler;
  /** How per-example gradients are clipped. */
  readonly clipping: ClippingOptions;
  /** The report of the run (noise multipliers, clip norm, run shape). */
  readonly report: PrivacyReport;
  /** The settings a checkpoint must match. */
  readonly fingerprint: Readonly<Record<string, unknown>>;
}

/** Keras-style callbacks of {@link PrivateTrainer.fit}; each may be async. */
export type TrainCallbacks = FitCallbacks<PrivateTrainer>;

/** Options of {@link PrivateTrainer.fit}: epochs, callbacks, validation data. */
export type FitOptions = FitLoopOptions<PrivateTrainer>;

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
  readonly #gradientNoiseMultiplier: number;
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
  /** The declared accuracy metric, measured on each batch while the training loss is reported. */
  readonly #trainingAccuracy: TrainingAccuracy | undefined;
  /** Whether `metrics` names 'accuracy' or 'acc' (the logs then carry the training accuracy, tfjs's `acc`). */
  readonly #declaresAccuracy: boolean;
  /** Training accuracy of the last step (with an accuracy metric declared). */
  #lastAccuracy: BatchAccuracy | undefined;

  /**
   * Use {@link PrivacyEngine}: it validates the options and builds the parts.
   *
   * @internal
   */
  constructor(parts: PrivateTrainerParts) {
    this.#config = parts.config;
    this.model = parts.config.model;
    this.optimizer = parts.optimizer;
    this.sampler = parts.sampler;
    this.report = parts.report;
    this.#accounting = parts.accounting;
    this.#gradientNoiseMultiplier = parts.report.gradientNoiseMultiplier;
    this.#clipping = parts.clipping;
    this.#fingerprint = parts.fingerprint;
    // A public constant: the (expected) batch size, never the realised one (which depends on the data).
    this.#normaliser = parts.config.lossReduction === 'mean' ? parts.report.run.batchSize : 1;
    this.#average =
      parts.config.weightAverage === undefined
        ? undefined
        : new ExponentialWeightAverage(this.model, parts.config.weightAverage);
    this.#perExampleVerified = !parts.config.verifyPerExample;
    this.#declaresAccuracy = parts.config.metrics.some((m) => m.name === 'accuracy' || m.name === 'acc');
    this.#trainingAccuracy = trainingAccuracyOf(
      this.model,
      parts.config.metrics,
      parts.config.reportTrainingLoss,
    );
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
    return this.report.noiseMultiplier;
  }

  /** Noise multiplier of the gradient sums (larger than {@link PrivateTrainer.noiseMultiplier} with adaptive clipping). */
  get gradientNoiseMultiplier(): number {
    return this.#gradientNoiseMultiplier;
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
   * taken, computed on demand and kept for that step count and delta. Infinity without noise.
   */
  getEpsilon(delta?: number): number {
    const d = delta ?? this.#config.targetDelta;
    if (d === undefined) throw new TypeError('getEpsilon needs a delta in (0, 1): no targetDelta was set');
    return this.#accounting.epsilonAfter(this.#steps, this.#gradientNoiseMultiplier, d);
  }

  /**
   * A `@cnm/accountant` accountant holding the events of the steps taken; its `getEpsilon(delta)` is
   * {@link PrivateTrainer.getEpsilon}. Throws without noise (infinite epsilon).
   */
  accountant(): PrivacyAccountant {
    return this.#accounting.accountantAfter(this.#steps, this.#gradientNoiseMultiplier);
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
  #trainingTensors(data: TensorData | undefined, caller: 'step' | 'fit'): EngineData {
    return trainingTensorsOf(data, caller, {
      model: this.model,
      ownData: this.#config.data,
      datasetSize: this.report.run.datasetSize,
    });
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
    this.#lastAccuracy = undefined;
    const indices = pending?.indices ?? this.sampler.nextBatch();
    const taken = applyPrivateStep(
      {
        model: this.model,
        lossFn: this.#config.lossFn,
        optimizer: this.optimizer,
        clipping: this.#clipping,
        normaliser: this.#normaliser,
        reportTrainingLoss: this.#config.reportTrainingLoss,
        trainingAccuracy: this.#trainingAccuracy,
        clippingOptions: this.#clippingOptions(),
      },
      { step: next, indices, source, clipped: pending?.clipped },
    );
    loss = taken.loss;
    this.#lastAccuracy = taken.accuracy;
    this.#lastSkipped = taken.skippedExamples;
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
        `step ${next} would take epsilon to ${this.#accounting.epsilonAfter(next, this.#gradientNoiseMultiplier, delta)} ` +
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

  #logs(loss: number, skippedExamples = this.#lastSkipped, accuracy?: number): TrainLogs {
    const delta = this.#config.targetDelta;
    const steps = this.#steps;
    const logs = {
      loss,
      ...(accuracy === undefined ? {} : { accuracy }),
      ...(this.#config.nonFinite === 'skip' ? { skippedExamples } : {}),
      steps,
    };
    // Epsilon when read (an accountant call per new step count, about a second with PLD in a browser): once per
    // epoch for the history, in the batch logs only for the callbacks that read it.
    return Object.defineProperty(logs, 'epsilon', {
      enumerable: true,
      get: () =>
        delta === undefined
          ? Number.NaN
          : this.#accounting.epsilonAfter(steps, this.#gradientNoiseMultiplier, delta),
    }) as typeof logs & { readonly epsilon: number };
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
   * under tfjs's keys (`loss`, `acc` with an accuracy metric declared, `val_loss`, `val_acc`, and `epsilon`), and a
   * tfjs `History`; see {@link fitTensors}.
   *
   * @param x - Inputs of the whole training set (an array for multi-input models).
   * @param y - Targets of the whole training set.
   * @param args - `epochs`, `initialEpoch`, `validationData`, `callbacks`, `verbose`.
   */
  fit(x: tf.Tensor | tf.Tensor[], y: tf.Tensor, args?: PrivateModelFitArgs): Promise<FitTensorsHistory>;
  async fit(
    first?: TrainingData | FitOptions | tf.Tensor | tf.Tensor[],
    second?: FitOptions | tf.Tensor,
    third?: PrivateModelFitArgs,
  ): Promise<FitHistory | FitTensorsHistory> {
    if ((isTensor(first) || (Array.isArray(first) && first.every(isTensor))) && isTensor(second)) {
      return fitTensors(this, first as tf.Tensor | tf.Tensor[], second, third, this.#declaresAccuracy);
    }
    if (third !== undefined) throw new TypeError('fit takes (options), (data, options) or (x, y, args)');
    const { data, options } = parseFitArguments(
      first as TrainingData | FitOptions | undefined,
      second as FitOptions | undefined,
    );
    const perEpoch = this.#accounting.shape.stepsPerEpoch;
    const { epochs, callbacks } = fitPlan(options, Math.ceil((this.totalSteps - this.#steps) / perEpoch));
    if (this.#fitting) throw new Error('fit is already running on this trainer: await it first');
    this.#fitting = true;
    let validation: { data: EngineData; owned: boolean } | undefined;
    try {
      const source = this.#boundData(
        isExampleDataset(data) ? await this.#materialise(data) : this.#trainingTensors(data, 'fit'),
      );
      validation = await validationTensors(this.model, options.validationData, source);
      return await runFitLoop(
        {
          trainer: this,
          stepsPerEpoch: this.#accounting.shape.stepsPerEpoch,
          canStep: () =>
            !(this.#steps >= this.report.stepsWithinBudget && this.#config.budgetPolicy === 'refuse'),
          step: () =>
            this.#config.clippedGradients === undefined ? this.#stepOn(source) : this.#stepAsyncOn(source),
          lastSkipped: () => this.#lastSkipped,
          lastAccuracy: () => this.#lastAccuracy,
          declaresAccuracy: this.#declaresAccuracy,
          totalSkipped: () => this.#skippedExamples,
          skipsNonFinite: this.#config.nonFinite === 'skip',
          averaged: this.#average !== undefined,
          logs: (loss, skipped, accuracy) => this.#logs(loss, skipped, accuracy),
          evaluate: (data, options) => this.evaluate(data, options),
        },
        epochs,
        callbacks as TrainCallbacks[],
        validation?.data,
      );
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
    assertOneOf('weights', weights, ['trained', 'averaged'] as const);
    if (weights === 'averaged') {
      const average = this.#average;
      if (average === undefined) {
        throw new TypeError("weights 'averaged' needs a run made with the weightAverage option");
      }
      return average.withAveragedWeights(() => this.evaluate(data, { ...options, weights: 'trained' }));
    }
    return evaluateModel(this.model, this.#config.lossFn, data, {
      metrics:
        options.metrics === undefined ? this.#config.metrics : resolveMetrics(options.metrics, 'metrics'),
      batchSize: options.batchSize ?? 256,
    });
  }

  /** Exact copy of the whole state (weights, optimizer, noise, generators, sampler, accountant). Keep it secret. */
  exportState(): TrainerState {
    return exportTrainerState(this.#stateParts(), {
      steps: this.#steps,
      dataFingerprint: this.#data.fingerprint,
      skippedExamples: this.#skippedExamples,
    });
  }

  /** The parts of the trainer's state. */
  #stateParts(): TrainerStateParts {
    return {
      model: this.model,
      optimizer: this.optimizer,
      sampler: this.sampler,
      accounting: this.#accounting,
      report: this.report,
      clipping: this.#clipping,
      average: this.#average,
      fingerprint: this.#fingerprint,
      skipsNonFinite: this.#config.nonFinite === 'skip',
    };
  }

  /**
   * Restores a state exported by a trainer built with the same configuration; everything is checked before
   * anything changes, and a mismatch is refused with the first differing setting.
   */
  restoreState(state: TrainerState): void {
    const progress = restoreTrainerState(this.#stateParts(), state);
    this.#steps = progress.steps;
    this.#failed = false;
    this.#data.restore(progress.dataFingerprint);
    this.#skippedExamples = progress.skippedExamples;
  }
}
