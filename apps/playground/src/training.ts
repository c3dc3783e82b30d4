import { PrivacyEngine, type PrivacyReport, type PrivateTrainer } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { Examples, PlaygroundData } from './data/examples';
import { createModel, type ModelName, perExampleCrossEntropy } from './models';

/** The training modes the page offers, as the engine names them, with their labels. */
export const MODES = [
  { mode: 'DP-SGD-AMPLIFIED', label: 'DP-SGD (Poisson)' },
  { mode: 'BLT', label: 'BLT' },
  { mode: 'Multi-Epoch-BLT', label: 'Multi-Epoch BLT' },
  { mode: 'Amplified-BandMF', label: 'Amplified BandMF' },
] as const;
/** One of the engine modes in {@link MODES}. */
export type PlaygroundMode = (typeof MODES)[number]['mode'];

/** What a person chooses before training. */
export interface TrainingSettings {
  readonly mode: PlaygroundMode;
  readonly targetEpsilon: number;
  readonly targetDelta: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly maxGradNorm: number;
  readonly model: ModelName;
  /**
   * Band count of Amplified-BandMF (ignored by the other modes): an integer in [1, N / batch size], or `'auto'` for
   * the engine's choice (one noise calibration per feasible band count; the page runs it with progress first,
   * see `searchBands`).
   */
  readonly bands: number | 'auto';
}

/** Lets the browser handle input and repaint (a macrotask: promises alone would not). */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Reported after every step. */
export interface StepUpdate {
  /** Steps taken so far. */
  readonly step: number;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  /** Mean per-example training loss of the step's batch (a private quantity: it stays on this page). */
  readonly loss: number;
  /** Epsilon spent by the last completed epoch, at the run's delta (0 before the first). */
  readonly epsilon: number;
  /** Examples per second of training steps so far (time inside steps only). */
  readonly samplesPerSecond: number;
}

/** Reported after every epoch. */
export interface EpochUpdate {
  /** Epochs done. */
  readonly epoch: number;
  /** Steps taken so far. */
  readonly step: number;
  /** Loss on the held-out test split. */
  readonly testLoss: number;
  /** Accuracy on the held-out test split, in [0, 1]. */
  readonly testAccuracy: number;
  /** Epsilon spent so far, at the run's delta. */
  readonly epsilon: number;
}

/** What a finished run reports. */
export interface TrainingResult {
  readonly steps: number;
  readonly epsilon: number;
  readonly targetEpsilon: number;
  readonly samplesPerSecond: number;
  readonly accuracy: number;
  readonly reason: string;
}

/** Callbacks of {@link PlaygroundRun}. */
export interface RunCallbacks {
  /** Once the engine calibrated the noise, before the first step. */
  onStart?(report: PrivacyReport, totalSteps: number): void;
  onStep?(update: StepUpdate): void;
  onEpoch?(update: EpochUpdate): void;
}

function tensorsOf(examples: Examples, featureCount: number, classCount: number) {
  return tf.tidy(() => ({
    x: tf.tensor2d(examples.features, [examples.count, featureCount]),
    y: tf.cast(tf.oneHot(tf.tensor1d(examples.labels, 'int32'), classCount), 'float32') as tf.Tensor2D,
  }));
}

/**
 * One private training run on the page: the model, the engine (secure mode: noise and sampling from
 * `crypto.getRandomValues`), noise calibrated so that the whole run spends at most the target epsilon.
 * Everything stays in this page's memory.
 */
export class PlaygroundRun {
  /** The engine's trainer (its `report` says the noise multiplier, the mechanism and the planned epsilon). */
  readonly trainer: PrivateTrainer;
  readonly #train: { x: tf.Tensor2D; y: tf.Tensor2D };
  readonly #test: { x: tf.Tensor2D; y: tf.Tensor2D };
  readonly #settings: TrainingSettings;
  readonly #batchSize: number;
  #stopping = false;

  /** @throws the engine's RangeError when a setting is out of its range (it names the setting). */
  constructor(data: PlaygroundData, settings: TrainingSettings) {
    this.#settings = settings;
    const model = createModel(settings.model, data.featureCount, data.classCount);
    this.#train = tensorsOf(data.train, data.featureCount, data.classCount);
    this.#test = tensorsOf(data.test, data.featureCount, data.classCount);
    try {
      this.trainer = new PrivacyEngine({ secureMode: true }).makePrivateWithEpsilon({
        model,
        lossFn: perExampleCrossEntropy,
        data: this.#train,
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        targetEpsilon: settings.targetEpsilon,
        targetDelta: settings.targetDelta,
        maxGradNorm: settings.maxGradNorm,
        learningRate: settings.learningRate,
        mode: settings.mode,
        ...(settings.mode === 'Amplified-BandMF'
          ? { bands: settings.bands }
          : settings.mode === 'DP-SGD-AMPLIFIED'
            ? {}
            : { participation: 'cyclic' as const }),
      });
    } catch (error) {
      this.dispose();
      model.dispose();
      throw error;
    }
    this.#batchSize = this.trainer.report.run.batchSize;
  }

  /**
   * Trains the whole planned run (or until {@link PlaygroundRun.stop}), one `trainer.step()` at a time, letting
   * the page repaint between steps. The test split is evaluated and epsilon is measured after every epoch: the
   * PLD accountant of DP-SGD takes about a second per measurement in a browser, too slow for every step.
   */
  async train(callbacks: RunCallbacks = {}): Promise<TrainingResult> {
    const trainer = this.trainer;
    const delta = this.#settings.targetDelta;
    const perEpoch = trainer.report.run.stepsPerEpoch;
    callbacks.onStart?.(trainer.report, trainer.totalSteps);
    this.#stopping = false;
    let stepMs = 0;
    let accuracy = Number.NaN;
    let epsilon = 0;
    const samplesPerSecond = () => (trainer.steps * this.#batchSize) / (stepMs / 1000);
    while (trainer.steps < trainer.totalSteps && !this.#stopping) {
      const start = performance.now();
      const loss = trainer.step();
      stepMs += performance.now() - start;
      const step = trainer.steps;
      const epochEnd = step % perEpoch === 0 || step === trainer.totalSteps;
      if (epochEnd) epsilon = trainer.getEpsilon(delta);
      callbacks.onStep?.({
        step,
        totalSteps: trainer.totalSteps,
        loss,
        epsilon,
        samplesPerSecond: samplesPerSecond(),
      });
      if (epochEnd) {
        const test = trainer.evaluate(this.#test);
        accuracy = test.accuracy;
        callbacks.onEpoch?.({
          epoch: Math.ceil(step / perEpoch),
          step,
          testLoss: test.loss,
          testAccuracy: accuracy,
          epsilon,
        });
      }
      await yieldToPage();
    }
    return {
      steps: trainer.steps,
      epsilon: trainer.getEpsilon(delta),
      targetEpsilon: this.#settings.targetEpsilon,
      samplesPerSecond: samplesPerSecond(),
      accuracy,
      reason: trainer.steps === trainer.totalSteps ? 'completed' : 'stopped',
    };
  }

  /** Asks the run to stop after the current step. */
  stop(): void {
    this.#stopping = true;
  }

  /** Frees the data tensors and the model. */
  dispose(): void {
    tf.dispose([this.#train.x, this.#train.y, this.#test.x, this.#test.y]);
    if (this.trainer !== undefined) this.trainer.model.dispose();
  }
}
