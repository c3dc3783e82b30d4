/**
 * The Keras-like fit loop of a private run: its options, callbacks, logs and history, and the loop over epochs and
 * steps that stops at the budget or on request.
 */
import type { EvaluateOptions, EvaluationResult } from './evaluation';
import type { AnyLayer } from './per-example/types';
import {
  checkExampleShapes,
  type EngineData,
  exampleShapesOf,
  isExampleDataset,
  isTensor,
  materialiseDataset,
  modelExampleShapes,
  modelInputNames,
  type TrainingData,
  toEngineData,
  type ValidationData,
} from './training-data';

/** Logs passed to callbacks. */
export interface TrainLogs {
  /**
   * Mean per-example training loss of the batch (batch callbacks) or of the epoch's batches (epoch callbacks);
   * `NaN` with `reportTrainingLoss: false`. Computed from the private data without noise: epsilon does not cover
   * it (like per-example norms, it is a release of its own).
   */
  readonly loss: number;
  /**
   * With an accuracy metric declared (`metrics: ['accuracy']` or `['acc']`): training accuracy of the batch (batch
   * callbacks) or of the epoch's examples (epoch callbacks), measured on each batch before its update as tfjs does
   * (in inference mode); `NaN` with `reportTrainingLoss: false`. Like the loss it is computed from the private data
   * without noise: epsilon does not cover it.
   */
  readonly accuracy?: number;
  /**
   * With `nonFinite: 'skip'`: examples left out as non-finite in the step (batch callbacks) or the epoch (epoch
   * callbacks). It depends on the data and is not covered by epsilon.
   */
  readonly skippedExamples?: number;
  /**
   * Epsilon spent so far at the budget's delta (or `NaN` when no delta is set). Computed when read (once per epoch
   * for the history; in batch logs only for a callback that reads it), since each new step count asks the
   * accountant.
   */
  readonly epsilon: number;
  /** Steps taken so far. */
  readonly steps: number;
  /** Mean per-example loss on the validation data (epoch logs, with `validationData`). */
  readonly valLoss?: number;
  /** Accuracy on the validation data, as {@link PrivateTrainer.evaluate} measures it (epoch logs, with `validationData`). */
  readonly valAccuracy?: number;
  /** Validation loss of the weight average (epoch logs, with `validationData` and the `weightAverage` option). */
  readonly averagedValLoss?: number;
  /** Validation accuracy of the weight average (epoch logs, with `validationData` and the `weightAverage` option). */
  readonly averagedValAccuracy?: number;
}

/**
 * Keras-style callbacks of the fit loop over a trainer of type `T` (see `TrainCallbacks` of the private trainer);
 * each may be async.
 */
export interface FitCallbacks<T> {
  /** Before the first step. */
  onTrainBegin?(trainer: T): void | Promise<void>;
  /** Before each epoch (0-based index over the whole run). */
  onEpochBegin?(epoch: number, trainer: T): void | Promise<void>;
  /** Before each step (0-based index within the epoch). */
  onBatchBegin?(batch: number, trainer: T): void | Promise<void>;
  /** After each step (0-based index within the epoch). */
  onBatchEnd?(batch: number, logs: TrainLogs, trainer: T): void | Promise<void>;
  /** After each epoch. */
  onEpochEnd?(epoch: number, logs: TrainLogs, trainer: T): void | Promise<void>;
  /** After the last step, with why training ended. */
  onTrainEnd?(logs: TrainLogs & { readonly reason: FitEndReason }, trainer: T): void | Promise<void>;
}

/** Why `fit` returned. */
export type FitEndReason = 'completed' | 'budget' | 'stopped';

/** Options of the fit loop over a trainer of type `T` (see `FitOptions` of the private trainer). */
export interface FitLoopOptions<T> {
  /** Epochs to train now (default: the rest of the planned run). */
  readonly epochs?: number;
  /** Callbacks, called in order. */
  readonly callbacks?: FitCallbacks<T> | readonly FitCallbacks<T>[];
  /**
   * Held-out data evaluated after each epoch (`valLoss`, `valAccuracy` in the epoch logs and the history):
   * tensors, an `[x, y]` pair, or a finite dataset of examples or of batches (read once per fit call, its
   * tensors disposed when fit returns). Never the training set: evaluating on it is a release of its own
   * that the accounting does not cover.
   */
  readonly validationData?: ValidationData;
}

/** Result of `fit`. */
export interface FitHistory {
  /** Mean training loss per epoch trained (`NaN` with `reportTrainingLoss: false`; not covered by epsilon). */
  readonly loss: number[];
  /**
   * With an accuracy metric declared: training accuracy per epoch trained, correct predictions over the epoch's
   * examples (`NaN` with `reportTrainingLoss: false`; not covered by epsilon).
   */
  readonly accuracy?: number[];
  /** With `nonFinite: 'skip'`: examples left out as non-finite, per epoch trained. */
  readonly skippedExamples?: number[];
  /** Epsilon after each epoch (at the budget's delta; `NaN` without one). */
  readonly epsilon: number[];
  /** Validation loss after each epoch, with `validationData`. */
  readonly valLoss?: number[];
  /** Validation accuracy after each epoch, with `validationData`. */
  readonly valAccuracy?: number[];
  /** Validation loss of the weight average after each epoch, with `validationData` and `weightAverage`. */
  readonly averagedValLoss?: number[];
  /** Validation accuracy of the weight average after each epoch, with `validationData` and `weightAverage`. */
  readonly averagedValAccuracy?: number[];
  /** Why training ended. */
  readonly reason: FitEndReason;
}

/** The option names of `fit`. */
export const FIT_OPTIONS: readonly string[] = ['epochs', 'callbacks', 'validationData'];

/** Why options of tfjs's `model.fit` have no counterpart here. */
export const TFJS_FIT_OPTION_HINTS: Readonly<Record<string, string>> = {
  batchSize: 'the batch size is set by makePrivate, since the accounting depends on it',
  shuffle: 'the engine samples the batches itself, as the accounting assumes',
  validationSplit:
    'split the data yourself and pass the held-out part as validationData (the run is calibrated for the training set size)',
  initialEpoch: 'the trainer knows its epoch; after restoreState, fit continues where the checkpoint stopped',
};

/** What the fit loop needs to read of a trainer. */
export interface FitTrainer {
  /** Set (e.g. by a callback) to end the loop after the current step. */
  stopTraining: boolean;
  /** Steps taken. */
  readonly steps: number;
  /** Steps of the whole run. */
  readonly totalSteps: number;
}

/** What the fit loop drives: the trainer and its step, logs and evaluation. */
export interface FitLoopHooks<T extends FitTrainer> {
  /** The trainer (passed to the callbacks; its `stopTraining` ends the loop). */
  readonly trainer: T;
  /** Steps per epoch of the run. */
  readonly stepsPerEpoch: number;
  /** Whether the budget allows another step (a refused step ends the loop with reason `'budget'`). */
  canStep(): boolean;
  /** One private step on the training data; its mean loss. */
  step(): number | Promise<number>;
  /** Examples the last step skipped as non-finite. */
  lastSkipped(): number;
  /** Training accuracy of the last step's batch, when measured. */
  lastAccuracy(): { readonly correct: number; readonly examples: number } | undefined;
  /** Whether an accuracy metric is declared (then the logs carry `accuracy`). */
  readonly declaresAccuracy: boolean;
  /** Examples skipped so far. */
  totalSkipped(): number;
  /** Whether non-finite examples are skipped (and counted in the logs). */
  readonly skipsNonFinite: boolean;
  /** Whether the run keeps a weight average (evaluated too). */
  readonly averaged: boolean;
  /** The logs after the steps so far. */
  logs(loss: number, skippedExamples?: number, accuracy?: number): TrainLogs;
  /** Evaluation of the trained weights or the average. */
  evaluate(data: EngineData, options?: EvaluateOptions): EvaluationResult;
}

/** Runs `epochs` epochs of the fit loop, calling the callbacks in Keras order. */
export async function runFitLoop<T extends FitTrainer>(
  hooks: FitLoopHooks<T>,
  epochs: number,
  callbacks: readonly FitCallbacks<T>[],
  validation: EngineData | undefined,
): Promise<FitHistory> {
  const trainer = hooks.trainer;
  const perEpoch = hooks.stepsPerEpoch;
  const call = async <K extends keyof FitCallbacks<T>>(
    name: K,
    ...args: Parameters<NonNullable<FitCallbacks<T>[K]>>
  ) => {
    for (const cb of callbacks) {
      const fn = cb[name] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (fn !== undefined) await fn.apply(cb, args);
    }
  };
  trainer.stopTraining = false;
  const history = {
    loss: [] as number[],
    ...(hooks.declaresAccuracy ? { accuracy: [] as number[] } : {}),
    epsilon: [] as number[],
    ...(hooks.skipsNonFinite ? { skippedExamples: [] as number[] } : {}),
    ...(validation === undefined ? {} : { valLoss: [] as number[], valAccuracy: [] as number[] }),
    ...(validation === undefined || !hooks.averaged
      ? {}
      : { averagedValLoss: [] as number[], averagedValAccuracy: [] as number[] }),
  };
  // Logs of an epoch (validation metrics included), recorded in the history.
  let skippedThisEpoch = 0;
  // Correct predictions and examples of the epoch's batches (with an accuracy metric declared).
  let correct = 0;
  let examples = 0;
  const ratio = (c: number, n: number): number | undefined =>
    hooks.declaresAccuracy ? (n > 0 ? c / n : Number.NaN) : undefined;
  const record = (loss: number): TrainLogs => {
    const logs = hooks.logs(loss, skippedThisEpoch, ratio(correct, examples));
    history.loss.push(loss);
    history.accuracy?.push(logs.accuracy as number);
    history.skippedExamples?.push(skippedThisEpoch);
    history.epsilon.push(logs.epsilon);
    if (validation === undefined) return logs;
    const { loss: valLoss, accuracy: valAccuracy } = hooks.evaluate(validation);
    history.valLoss?.push(valLoss);
    history.valAccuracy?.push(valAccuracy);
    if (!hooks.averaged) return { ...logs, valLoss, valAccuracy };
    const averaged = hooks.evaluate(validation, { weights: 'averaged' });
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
  let lastAccuracy: number | undefined;
  await call('onTrainBegin', trainer);
  outer: for (let e = 0; e < epochs; e++) {
    const epoch = Math.floor(trainer.steps / perEpoch);
    await call('onEpochBegin', epoch, trainer);
    let sum = 0;
    let count = 0;
    skippedThisEpoch = 0;
    correct = 0;
    examples = 0;
    const stepsThisEpoch = Math.min(
      perEpoch - (trainer.steps % perEpoch),
      trainer.totalSteps - trainer.steps,
    );
    for (let batch = 0; batch < stepsThisEpoch; batch++) {
      if (!hooks.canStep()) {
        reason = 'budget';
      } else {
        await call('onBatchBegin', batch, trainer);
        const loss = await hooks.step();
        if (!Number.isNaN(loss)) {
          sum += loss;
          count++;
        }
        skippedThisEpoch += hooks.lastSkipped();
        const accuracy = hooks.lastAccuracy();
        correct += accuracy?.correct ?? 0;
        examples += accuracy?.examples ?? 0;
        const logs = hooks.logs(loss, undefined, ratio(accuracy?.correct ?? 0, accuracy?.examples ?? 0));
        await call('onBatchEnd', batch, logs, trainer);
        // Let the event loop run (a browser repaints its progress, a server answers) between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (trainer.stopTraining) reason = 'stopped';
      }
      if (reason !== 'completed') {
        if (count > 0 || examples > 0) {
          lastLoss = count > 0 ? sum / count : Number.NaN;
          lastAccuracy = record(lastLoss).accuracy;
        }
        break outer;
      }
    }
    lastLoss = count > 0 ? sum / count : Number.NaN;
    const logs = record(lastLoss);
    lastAccuracy = logs.accuracy;
    await call('onEpochEnd', epoch, logs, trainer);
    if (trainer.stopTraining) {
      reason = 'stopped';
      break;
    }
  }
  await call('onTrainEnd', { ...hooks.logs(lastLoss, hooks.totalSkipped(), lastAccuracy), reason }, trainer);
  return { ...history, reason };
}

/** The data and options of a `fit(options)` or `fit(data, options)` call, checked. */
export function parseFitArguments<T>(
  first: TrainingData | FitLoopOptions<T> | undefined,
  second: FitLoopOptions<T> | undefined,
): { readonly data: TrainingData | undefined; readonly options: FitLoopOptions<T> } {
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
  const options = ((dataGiven ? second : first) as FitLoopOptions<T> | undefined) ?? {};
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
  return { data, options };
}

/**
 * The validation data of a fit as tensors: read from a dataset (owned, disposed after the fit) or checked tensors
 * (the caller's), with the model's example shapes.
 */
export async function validationTensors(
  model: AnyLayer,
  data: ValidationData | undefined,
  training: EngineData,
): Promise<{ data: EngineData; owned: boolean } | undefined> {
  if (data === undefined) return undefined;
  if (isExampleDataset(data)) {
    const read = await materialiseDataset(data, {
      name: 'validationData',
      exampleShapes: modelExampleShapes(model) ?? exampleShapesOf(training),
      inputNames: modelInputNames(model),
    });
    return { data: read.data, owned: true };
  }
  const tensors = Array.isArray(data) ? { x: data[0], y: data[1] } : data;
  const checked = toEngineData(tensors, 'validationData').data;
  checkExampleShapes(checked, modelExampleShapes(model) ?? exampleShapesOf(training), 'validationData');
  return { data: checked, owned: false };
}

/** The epochs a fit trains (default: the rest of the run, `remainingEpochs`) and its callbacks as a list. */
export function fitPlan<T>(
  options: FitLoopOptions<T>,
  remainingEpochs: number,
): { readonly epochs: number; readonly callbacks: readonly FitCallbacks<T>[] } {
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
        ? (options.callbacks as readonly FitCallbacks<T>[])
        : [options.callbacks as FitCallbacks<T>];
  return { epochs, callbacks };
}
