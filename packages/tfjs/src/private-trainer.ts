/**
 * The private training loop: one `step` for custom loops, a Keras-like `fit` with callbacks, evaluation,
 * the privacy spent so far, the enforced budget, and the exact state for checkpoints.
 */

import type { AccountantState, PrivacyAccountant } from '@cnm/accountant';
import type { DpAdamBc, DpAdamBcState, DpSgd, DpSgdState } from '@cnm/optim';
import type { BatchSampler, BatchSamplerState } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { RunAccounting } from './accounting';
import type { ClippingOptions } from './clipping';
import { type ClippedGradients, computeClippedGradients } from './compute-clipped-gradients';
import type { EngineConfig, EngineData } from './engine-config';
import { collectTrainableLayers } from './per-example/model-layers';
import type { AnyLayer } from './per-example/types';

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
  /** Noise multiplier. */
  readonly noiseMultiplier: number;
  /** Sensitivity of the strategy under the real participation. */
  readonly sensitivity: number;
}

/** What a private run is: the numbers reported by `makePrivate` / `makePrivateWithEpsilon`. */
export interface PrivacyReport {
  /** Training mode. */
  readonly mode: string;
  /** Participation of the correlated modes (`'poisson'` for DP-SGD-AMPLIFIED). */
  readonly participation: string;
  /** Accounting: Poisson-subsampled Gaussian steps (PLD/RDP) or one Gaussian mechanism for the run. */
  readonly accounting: 'poisson-subsampled-gaussian (pld)' | 'poisson-subsampled-gaussian (rdp)' | 'gaussian';
  /** Noise multiplier sigma. */
  readonly noiseMultiplier: number;
  /** sens(C) under the real participation over the whole run (clip norm 1). */
  readonly sensitivity: number;
  /** Sensitivity used by the noise (1 for the DP-SGD modes). */
  readonly noiseSensitivity: number;
  /** Name of the strategy C. */
  readonly strategy: string;
  /** BLT buffers, decays and output scales, for the BLT modes. */
  readonly blt?: BltReport;
  /** L2 sensitivity of one example's clipped gradient (maxGradNorm, or the root of the per-layer squares). */
  readonly clipNorm: number;
  /** Examples, batch size, steps per epoch, epochs and total steps. */
  readonly run: RunReport;
  /** Target epsilon and delta (the budget), when one is set. */
  readonly target?: PrivacyTarget;
  /** Epsilon of the whole planned run at the target delta, when one is set. */
  readonly plannedEpsilon?: number;
  /** Steps the budget allows (the whole run when it fits). */
  readonly stepsWithinBudget: number;
}

/** Logs passed to callbacks. */
export interface TrainLogs {
  /** Mean per-example loss of the batch (batch callbacks) or of the epoch's batches (epoch callbacks). */
  readonly loss: number;
  /** Epsilon spent so far at the budget's delta (or `NaN` when no delta is set). */
  readonly epsilon: number;
  /** Steps taken so far. */
  readonly steps: number;
}

/** Keras-style callbacks of {@link PrivateTrainer.fit}; each may be async. */
export interface TrainCallbacks {
  /** Before the first step. */
  onTrainBegin?(trainer: PrivateTrainer): void | Promise<void>;
  /** Before each epoch (0-based index over the whole run). */
  onEpochBegin?(epoch: number, trainer: PrivateTrainer): void | Promise<void>;
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
}

/** Result of {@link PrivateTrainer.fit}. */
export interface FitHistory {
  /** Mean loss per epoch trained. */
  readonly loss: number[];
  /** Epsilon after each epoch (at the budget's delta; `NaN` without one). */
  readonly epsilon: number[];
  /** Why training ended. */
  readonly reason: FitEndReason;
}

/** Result of {@link PrivateTrainer.evaluate}. */
export interface EvaluationResult {
  /** Mean per-example loss. */
  readonly loss: number;
  /** Fraction of correct predictions: argmax for several outputs, threshold 0.5 for one output. */
  readonly accuracy: number;
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
  readonly optimizer: DpSgdState | DpAdamBcState;
  /** The sampler's position and generator. */
  readonly sampler: BatchSamplerState;
  /** Accountant history: what was composed so far. */
  readonly accountant: SavedAccountant;
}

/** Everything the trainer is built from (made by {@link PrivacyEngine}). */
export interface PrivateTrainerParts {
  /** The validated options. */
  readonly config: EngineConfig;
  /** The run's accounting. */
  readonly accounting: RunAccounting;
  /** Noise multiplier sigma. */
  readonly noiseMultiplier: number;
  /** The private optimizer over the model's trainable variables. */
  readonly optimizer: DpSgd | DpAdamBc;
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
  readonly optimizer: DpSgd | DpAdamBc;
  /** The batch sampler whose participation the accounting covers. */
  readonly sampler: BatchSampler;
  /** What the run is and how it is accounted. */
  readonly report: PrivacyReport;
  /** Set to true (e.g. from a callback) to make {@link PrivateTrainer.fit} stop after the current step. */
  stopTraining = false;
  readonly #config: EngineConfig;
  readonly #accounting: RunAccounting;
  readonly #noiseMultiplier: number;
  readonly #clipping: ClippingOptions;
  readonly #fingerprint: Readonly<Record<string, unknown>>;
  readonly #normaliser: number;
  #steps = 0;
  #failed = false;
  /** The batch and clipped sums `stepAsync` computed for the `step` it runs. */
  #pending:
    | { indices: ReturnType<BatchSampler['nextBatch']>; clipped: ClippedGradients | undefined }
    | undefined;
  #stepping = false;

  /** Use {@link PrivacyEngine}: it validates the options and builds the parts. */
  constructor(parts: PrivateTrainerParts) {
    this.#config = parts.config;
    this.model = parts.config.model;
    this.optimizer = parts.optimizer;
    this.sampler = parts.sampler;
    this.report = parts.report;
    this.#accounting = parts.accounting;
    this.#noiseMultiplier = parts.noiseMultiplier;
    this.#clipping = parts.clipping;
    this.#fingerprint = parts.fingerprint;
    // A public constant: the (expected) batch size, never the realised one (which depends on the data).
    this.#normaliser = parts.config.lossReduction === 'mean' ? parts.report.run.batchSize : 1;
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

  /** Noise multiplier sigma. */
  get noiseMultiplier(): number {
    return this.#noiseMultiplier;
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
   */
  step(): number {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined && this.#config.clippedGradients !== undefined) {
      throw new TypeError(
        'this run computes its clipped gradients asynchronously (clippedGradients): use stepAsync()',
      );
    }
    const next = pending === undefined ? this.#checkNextStep() : this.#steps + 1;
    // A step that fails midway has drawn a batch and perhaps noise: the run can only go on from a checkpoint.
    this.#failed = true;
    let loss = Number.NaN;
    const indices = pending?.indices ?? this.sampler.nextBatch();
    if (indices.length === 0) {
      const zeros: tf.NamedTensorMap = {};
      for (const variable of this.optimizer.variables) zeros[variable.name] = tf.zerosLike(variable);
      this.optimizer.step(zeros, this.#normaliser);
      tf.dispose(zeros);
    } else {
      const result =
        pending !== undefined
          ? undefined
          : tf.tidy(() => {
              const index = tf.tensor1d(indices, 'int32');
              const { x, y } = this.#config.data;
              const xs = Array.isArray(x) ? x.map((t) => tf.gather(t, index)) : tf.gather(x, index);
              return { x: xs, y: tf.gather(y, index) };
            });
      try {
        const clipped =
          pending?.clipped ??
          computeClippedGradients({
            model: this.model,
            lossFn: this.#config.lossFn,
            x: result!.x,
            y: result!.y,
            clipping: this.#clipping,
            ...(this.#config.perExampleMethod === undefined
              ? {}
              : { perExampleMethod: this.#config.perExampleMethod }),
            ...(this.#config.physicalBatchSize === undefined
              ? {}
              : { physicalBatchSize: this.#config.physicalBatchSize }),
          });
        try {
          this.optimizer.step(Object.fromEntries(clipped.gradients), this.#normaliser);
          loss = clipped.loss.dataSync()[0] as number;
        } finally {
          tf.dispose([...clipped.gradients.values()]);
          tf.dispose([clipped.perExampleNorms, clipped.perLayerNorms, clipped.clipFactors, clipped.loss]);
        }
      } finally {
        if (result !== undefined) tf.dispose(result);
      }
    }
    this.#failed = false;
    this.#steps = next;
    return loss;
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
   * on this thread exactly as `step` does. Without a provider it is `step()`. One step at a time.
   */
  async stepAsync(): Promise<number> {
    const provider = this.#config.clippedGradients;
    if (provider === undefined) return this.step();
    if (this.#stepping) throw new Error('a step is already running: await it before the next one');
    this.#checkNextStep();
    this.#stepping = true;
    try {
      this.#failed = true;
      const indices = this.sampler.nextBatch();
      const clipped =
        indices.length === 0
          ? undefined
          : await provider.compute({
              model: this.model,
              data: this.#config.data,
              indices,
              clipping: this.#clipping,
              ...(this.#config.perExampleMethod === undefined
                ? {}
                : { perExampleMethod: this.#config.perExampleMethod }),
              ...(this.#config.physicalBatchSize === undefined
                ? {}
                : { physicalBatchSize: this.#config.physicalBatchSize }),
            });
      this.#pending = { indices, clipped };
      return this.step();
    } finally {
      this.#pending = undefined;
      this.#stepping = false;
    }
  }

  #logs(loss: number): TrainLogs {
    const delta = this.#config.targetDelta;
    return {
      loss,
      epsilon:
        delta === undefined
          ? Number.NaN
          : this.#accounting.epsilonAfter(this.#steps, this.#noiseMultiplier, delta),
      steps: this.#steps,
    };
  }

  /**
   * Trains for `epochs` epochs (default: the rest of the planned run), calling the callbacks. Ends early
   * when the budget allows no further step (reason `'budget'`) or when {@link PrivateTrainer.stopTraining}
   * is set (reason `'stopped'`).
   */
  async fit(options: FitOptions = {}): Promise<FitHistory> {
    if (options === null || typeof options !== 'object' || 'x' in options || 'iterator' in options) {
      throw new TypeError(
        'fit takes { epochs, callbacks }: the engine trains on the data given to makePrivate and draws the batches itself',
      );
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
    const call = async <K extends keyof TrainCallbacks>(
      name: K,
      ...args: Parameters<NonNullable<TrainCallbacks[K]>>
    ) => {
      for (const cb of callbacks as TrainCallbacks[]) {
        const fn = cb[name] as ((...a: unknown[]) => void | Promise<void>) | undefined;
        if (fn !== undefined) await fn.apply(cb, args);
      }
    };
    this.stopTraining = false;
    const history: FitHistory = { loss: [], epsilon: [], reason: 'completed' };
    let reason: FitEndReason = 'completed';
    let lastLoss = Number.NaN;
    await call('onTrainBegin', this);
    outer: for (let e = 0; e < epochs; e++) {
      const epoch = Math.floor(this.#steps / perEpoch);
      await call('onEpochBegin', epoch, this);
      let sum = 0;
      let count = 0;
      const stepsThisEpoch = Math.min(perEpoch - (this.#steps % perEpoch), this.totalSteps - this.#steps);
      for (let batch = 0; batch < stepsThisEpoch; batch++) {
        if (this.#steps >= this.report.stepsWithinBudget && this.#config.budgetPolicy === 'refuse') {
          reason = 'budget';
        } else {
          const loss = this.#config.clippedGradients === undefined ? this.step() : await this.stepAsync();
          if (!Number.isNaN(loss)) {
            sum += loss;
            count++;
          }
          await call('onBatchEnd', batch, this.#logs(loss), this);
          // Let the event loop run (a browser repaints its progress, a server answers) between steps.
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.stopTraining) reason = 'stopped';
        }
        if (reason !== 'completed') {
          if (count > 0) {
            lastLoss = sum / count;
            history.loss.push(lastLoss);
            history.epsilon.push(this.#logs(lastLoss).epsilon);
          }
          break outer;
        }
      }
      lastLoss = count > 0 ? sum / count : Number.NaN;
      const logs = this.#logs(lastLoss);
      history.loss.push(lastLoss);
      history.epsilon.push(logs.epsilon);
      await call('onEpochEnd', epoch, logs, this);
      if (this.stopTraining) {
        reason = 'stopped';
        break;
      }
    }
    await call('onTrainEnd', { ...this.#logs(lastLoss), reason }, this);
    return { ...history, reason };
  }

  /**
   * Mean per-example loss and accuracy of the model on `data`. Use held-out data: evaluating on the training
   * set is a release of its own that the accounting does not cover.
   */
  evaluate(data: EngineData, options: { readonly batchSize?: number } = {}): EvaluationResult {
    const { x, y } = data;
    const size = y.shape[0] as number;
    const batchSize = options.batchSize ?? 256;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < size; start += batchSize) {
      const count = Math.min(batchSize, size - start);
      const [l, c] = tf.tidy(() => {
        const xs = Array.isArray(x) ? x.map((t) => tf.slice(t, start, count)) : tf.slice(x, start, count);
        const ys = tf.slice(y, start, count);
        const prediction = this.model.apply(xs, { training: false }) as tf.Tensor;
        const loss = tf.sum(this.#config.lossFn(ys, prediction));
        const width = prediction.shape[prediction.rank - 1] ?? 1;
        const hits =
          prediction.rank > 1 && width > 1
            ? tf.equal(
                tf.argMax(prediction, -1),
                ys.rank === prediction.rank ? tf.argMax(ys, -1) : tf.cast(tf.reshape(ys, [-1]), 'int32'),
              )
            : tf.equal(tf.greater(tf.reshape(prediction, [-1]), 0.5), tf.greater(tf.reshape(ys, [-1]), 0.5));
        return [loss.dataSync()[0] as number, tf.sum(tf.cast(hits, 'float32')).dataSync()[0] as number];
      });
      lossSum += l;
      correct += c;
    }
    return { loss: lossSum / size, accuracy: correct / size };
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
    // Optimizer and sampler check their own states before changing anything; the sampler is the cheaper
    // to fail, so it goes first, then the optimizer, then the weights.
    const samplerBefore = this.sampler.exportState();
    this.sampler.restoreState(state.sampler);
    try {
      (this.optimizer as DpSgd).restoreState(state.optimizer as DpSgdState);
    } catch (error) {
      this.sampler.restoreState(samplerBefore);
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
  }
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
