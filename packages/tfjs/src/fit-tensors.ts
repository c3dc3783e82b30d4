/**
 * `trainer.fit(x, y, args)` as tfjs's `model.fit`: tfjs-layers callbacks (`tfl.callbacks.earlyStopping`, custom
 * `CustomCallbackArgs`), tfjs log keys and a tfjs `History`, over the engine's own fit loop.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { CallbackList, CustomCallback, type CustomCallbackArgs, History } from '@tensorflow/tfjs-layers';
import type {
  FitCallbacks,
  FitEndReason,
  FitHistory,
  FitLoopOptions,
  FitTrainer,
  TrainLogs,
} from './fit-loop';
import type { AnyLayer } from './per-example/types';
import type { PrivacyTarget, RunReport } from './privacy-report';
import type { ExampleDataset, ValidationData } from './training-data';

/** A tfjs-layers callback: `tfl.callbacks.earlyStopping(...)`, a `tfl.Callback` subclass, or a `History`. */
export type LayersCallback = ConstructorParameters<typeof CallbackList>[0] extends (infer C)[] | undefined
  ? C
  : never;

/**
 * What {@link fitTensors} uses of a private trainer (`PrivateTrainer`): its model, run, epoch and engine fit.
 */
export interface TensorFitTrainer extends FitTrainer {
  /** The model trained (the tfjs callbacks see it). */
  readonly model: AnyLayer;
  /** The epoch the trainer is at. */
  readonly epoch: number;
  /** The run's shape and budget. */
  readonly report: {
    /** The run's shape. */
    readonly run: RunReport;
    /** The budget, when one is set (then the logs carry the epsilon spent). */
    readonly target?: PrivacyTarget;
  };
  /** The engine's own fit on `{ x, y }`. */
  fit(
    data: { readonly x: tf.Tensor | tf.Tensor[]; readonly y: tf.Tensor },
    options: FitLoopOptions<this>,
  ): Promise<FitHistory>;
}

/** The result of `PrivateTrainer.fit(x, y, args)`: a tfjs `History`, and why training ended. */
export interface FitTensorsHistory extends History {
  /** Why training ended: `'completed'`, `'budget'` or `'stopped'`. */
  readonly reason: FitEndReason;
}

/** The arguments of `PrivateTrainer.fit(x, y, args)`: tfjs's `ModelFitArgs` that apply to private training. */
export interface PrivateModelFitArgs {
  /**
   * Index of the epoch to train up to, as in tfjs: `epochs - initialEpoch` epochs are trained (default: the rest
   * of the planned run).
   */
  readonly epochs?: number;
  /**
   * The epoch training starts at, as in tfjs: for resuming (after `restoreState`), it must be the trainer's
   * `epoch`. Default 0 (then `epochs` epochs are trained).
   */
  readonly initialEpoch?: number;
  /** Held-out data evaluated after each epoch (`val_loss`, `val_acc`): `[x, y]` or a finite dataset. */
  readonly validationData?: readonly [tf.Tensor | tf.Tensor[], tf.Tensor] | ExampleDataset;
  /**
   * tfjs-layers callbacks (`[tfl.callbacks.earlyStopping(...)]`, `tfl.Callback` subclasses) or custom callbacks
   * (`{ onEpochEnd: (epoch, logs) => ... }`, one or a list), as tfjs's `model.fit` takes them.
   */
  readonly callbacks?: readonly LayersCallback[] | CustomCallbackArgs | readonly CustomCallbackArgs[];
  /** 0 (default): silent; 1 or 2: one line per epoch on the console with the logs. */
  readonly verbose?: 0 | 1 | 2;
}

/** tfjs's `model.fit` arguments that have no meaning here, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  batchSize:
    'the batch size is set by makePrivate (batchSize there), because the privacy accounting depends on how batches are drawn',
  shuffle:
    'the engine samples every batch itself with the sampler its accounting assumes (Poisson or cyclic); a shuffle would change it',
  validationSplit:
    'split the data yourself and pass the held-out part as validationData: the run is calibrated for the size of the training set',
  classWeight:
    "weights change each example's loss scale and so its clipped contribution; weight the loss inside a per-example loss function (option loss) instead",
  sampleWeight: 'weight the loss inside a per-example loss function (option loss) instead',
  stepsPerEpoch: 'the steps per epoch follow from the dataset size and the batch size set by makePrivate',
  validationSteps: 'validationData is evaluated whole after each epoch',
  validationBatchSize: 'validationData is evaluated whole after each epoch',
  validationFreq: 'validationData is evaluated after every epoch',
  yieldEvery: 'the loop yields to the event loop after every step',
};

const KNOWN = ['epochs', 'initialEpoch', 'validationData', 'callbacks', 'verbose'];

function isLayersCallback(value: unknown): value is LayersCallback {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { setParams?: unknown }).setParams === 'function' &&
    typeof (value as { setModel?: unknown }).setModel === 'function'
  );
}

/**
 * The logs under tfjs's keys (`loss`, `acc` with an accuracy metric declared, `val_loss`, `val_acc`), with
 * `epsilon` spent when a delta is set (`withDelta`), after the entries of `head`. In batch logs (`lazy`) `epsilon` is
 * computed when read and left out of the enumerated keys: tfjs reads every enumerated key of the logs before each
 * custom callback, which would ask the accountant at every step.
 */
function tfjsLogs(
  logs: TrainLogs,
  withDelta: boolean,
  options: { readonly lazy?: boolean; readonly head?: Record<string, number> } = {},
): Record<string, number> {
  const out: Record<string, number> = {
    ...options.head,
    loss: logs.loss,
    ...(logs.accuracy === undefined ? {} : { acc: logs.accuracy }),
    ...(logs.valLoss === undefined ? {} : { val_loss: logs.valLoss }),
    ...(logs.valAccuracy === undefined ? {} : { val_acc: logs.valAccuracy }),
    ...(logs.averagedValLoss === undefined ? {} : { averaged_val_loss: logs.averagedValLoss }),
    ...(logs.averagedValAccuracy === undefined ? {} : { averaged_val_acc: logs.averagedValAccuracy }),
  };
  if (!withDelta) return out;
  if (options.lazy !== true) return Object.assign(out, { epsilon: logs.epsilon });
  return Object.defineProperty(out, 'epsilon', { enumerable: false, get: () => logs.epsilon });
}

/**
 * Checks tfjs's `ModelFitArgs`, refusing those that cannot apply to private training with the reason and what to use
 * instead. Returns the number of epochs to train.
 */
function epochsToTrain(trainer: TensorFitTrainer, args: Record<string, unknown>): number {
  for (const key of Object.keys(args)) {
    if (args[key] === undefined || KNOWN.includes(key)) continue;
    const why = REFUSED[key];
    throw new TypeError(
      why === undefined
        ? `unknown fit argument '${key}'; fit(x, y, args) takes ${KNOWN.join(', ')}`
        : `fit argument '${key}' does not apply to private training: ${why}`,
    );
  }
  const verbose = args.verbose;
  if (verbose !== undefined && verbose !== 0 && verbose !== 1 && verbose !== 2) {
    throw new RangeError(`verbose must be 0, 1 or 2, got ${String(verbose)}`);
  }
  const initialEpoch = args.initialEpoch;
  if (initialEpoch !== undefined && initialEpoch !== trainer.epoch) {
    throw new RangeError(
      `initialEpoch must be the epoch this trainer is at (${trainer.epoch}), got ${String(initialEpoch)}: ` +
        'the trainer keeps its own position (restore a checkpoint with restoreState to resume elsewhere)',
    );
  }
  if (args.epochs === undefined)
    return Math.ceil((trainer.totalSteps - trainer.steps) / trainer.report.run.stepsPerEpoch);
  const epochs = args.epochs;
  const start = (initialEpoch as number | undefined) ?? 0;
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs <= start) {
    throw new RangeError(
      `epochs must be an integer > initialEpoch (${start}): the index of the epoch to train up to, got ${String(epochs)}`,
    );
  }
  return epochs - start;
}

/**
 * Trains `trainer` on `{ x, y }` as tfjs's `model.fit(x, y, args)` does, over the trainer's own `fit`: the
 * callbacks get tfjs's arguments and log keys, `stopTraining` set on the model by a callback (as
 * `tfl.callbacks.earlyStopping` does) ends the run after that epoch, and the result is a tfjs `History`
 * (`history.history.loss`, `acc` when `declaresAccuracy` (the run's `metrics` name 'accuracy' or 'acc'), `val_loss`,
 * `val_acc`, `epsilon` per epoch, `history.epoch`).
 */
export async function fitTensors<T extends TensorFitTrainer>(
  trainer: T,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  args: PrivateModelFitArgs = {},
  declaresAccuracy = false,
): Promise<FitTensorsHistory> {
  if (args === null || typeof args !== 'object')
    throw new TypeError('fit(x, y, args): args must be an object');
  const epochs = epochsToTrain(trainer, args as Record<string, unknown>);
  const given =
    args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const history = new History();
  const callbacks = new CallbackList([
    history,
    ...given.map((c: LayersCallback | CustomCallbackArgs) =>
      isLayersCallback(c) ? c : new CustomCallback(c as CustomCallbackArgs),
    ),
  ]);
  // The callbacks see the model; `model.stopTraining = true` (earlyStopping's way) stops the private run.
  const model = new Proxy(trainer.model as object, {
    get: (target, key) => (key === 'stopTraining' ? trainer.stopTraining : Reflect.get(target, key)),
    set: (target, key, value) => {
      if (key === 'stopTraining') trainer.stopTraining = Boolean(value);
      else Reflect.set(target, key, value);
      return true;
    },
  });
  callbacks.setModel(model as Parameters<CallbackList['setModel']>[0]);
  const run = trainer.report.run;
  const withDelta = trainer.report.target !== undefined;
  callbacks.setParams({
    epochs: trainer.epoch + epochs,
    initialEpoch: trainer.epoch,
    samples: run.datasetSize,
    steps: run.stepsPerEpoch,
    batchSize: run.batchSize,
    verbose: args.verbose ?? 0,
    doValidation: args.validationData !== undefined,
    metrics: [
      'loss',
      ...(declaresAccuracy ? ['acc'] : []),
      ...(args.validationData === undefined ? [] : ['val_loss', 'val_acc']),
    ],
  });
  const bridge: FitCallbacks<T> = {
    onTrainBegin: () => callbacks.onTrainBegin(),
    onEpochBegin: (epoch) => callbacks.onEpochBegin(epoch),
    onBatchBegin: (batch) => callbacks.onBatchBegin(batch, { batch, size: run.batchSize }),
    onBatchEnd: (batch, logs) =>
      callbacks.onBatchEnd(
        batch,
        tfjsLogs(logs, withDelta, { lazy: true, head: { batch, size: run.batchSize } }),
      ),
    onEpochEnd: async (epoch, logs) => {
      const line = tfjsLogs(logs, withDelta);
      await callbacks.onEpochEnd(epoch, line);
      if ((args.verbose ?? 0) > 0) {
        const values = Object.entries(line).map(([k, v]) => `${k}=${v.toPrecision(4)}`);
        console.log(`Epoch ${epoch + 1} / ${trainer.report.run.epochs}: ${values.join(' ')}`);
      }
    },
    onTrainEnd: (logs) => callbacks.onTrainEnd(tfjsLogs(logs, withDelta)),
  };
  const result: FitHistory = await trainer.fit(
    { x, y },
    {
      epochs,
      callbacks: bridge,
      ...(args.validationData === undefined ? {} : { validationData: args.validationData as ValidationData }),
    },
  );
  await history.syncData();
  // Why training ended ('completed', 'budget' or 'stopped'), beside tfjs's fields.
  return Object.assign(history, { reason: result.reason });
}
