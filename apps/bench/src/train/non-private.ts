import { SeededRandom, ShuffleSampler } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BenchRow } from '../rows';
import { EpochEvaluator } from './evaluation';
import { PeakMemory } from './memory';
import type { WeightAverageSettings } from './result';
import { perExampleCrossEntropy, type SplitTensors } from './tensors';

/** Inputs of {@link trainNonPrivate}. */
export interface NonPrivateRunOptions {
  /** The row (its optimizer and learning rate are used). */
  readonly row: BenchRow;
  /** A freshly initialised model. */
  readonly model: LayersModel;
  /** Training split. */
  readonly train: SplitTensors;
  /** Test split. */
  readonly test: SplitTensors;
  /** Epochs to train. */
  readonly epochs: number;
  /** Batch size. */
  readonly batchSize: number;
  /** Seed of the shuffling. */
  readonly seed: number;
  /** The weight average evaluated beside the last iterate; none when null. */
  readonly weightAverage: WeightAverageSettings | null;
  /** Called after every step (progress bars). */
  readonly onStep?: (step: number, totalSteps: number, loss: number) => void;
  /** Called after every epoch with the test accuracy. */
  readonly onEpoch?: (epoch: number, accuracy: number) => void;
}

/** Measurements of a training run. */
export interface TrainingMeasurements {
  /** Test accuracy after each epoch, percent. */
  readonly accuracyPerEpoch: number[];
  /** Test accuracy of the weight average after each epoch, percent (empty without one). */
  readonly averagedAccuracyPerEpoch: number[];
  /** Steps taken. */
  readonly steps: number;
  /** Training wall time, seconds (evaluation excluded). */
  readonly trainSeconds: number;
  /** Mean step time, ms. */
  readonly stepTimeMs: number;
  /** Examples per second. */
  readonly samplesPerSecond: number;
  /** Peak resident set size, MiB. */
  readonly peakMemoryMiB: number;
}

/** Lets timers (progress bars) run: resolved tensor reads are microtasks, which never give them a turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The tfjs optimizer of a row: SGD or Adam (default betas) at the row's learning rate. */
export function optimizerFor(row: BenchRow): tf.Optimizer {
  return row.optimizer === 'adam' ? tf.train.adam(row.learningRate) : tf.train.sgd(row.learningRate);
}

/**
 * Trains without privacy: shuffled full batches, mean cross-entropy, the ordinary tfjs gradient, the
 * row's optimizer. Each step is timed up to the moment its loss is read back (so the step has finished).
 */
export async function trainNonPrivate(options: NonPrivateRunOptions): Promise<TrainingMeasurements> {
  const { model, train, test, epochs, batchSize } = options;
  const sampler = new ShuffleSampler({
    datasetSize: train.count,
    batchSize,
    rng: SeededRandom.fromSeed(options.seed),
  });
  const perEpoch = Math.floor(train.count / batchSize);
  const totalSteps = perEpoch * epochs;
  const optimizer = optimizerFor(options.row);
  const memory = new PeakMemory();
  const evaluator = new EpochEvaluator(model, test, options.weightAverage);
  let trainMs = 0;
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch += 1) {
      for (let i = 0; i < perEpoch; i += 1) {
        const indices = sampler.nextBatch();
        const start = performance.now();
        const loss = tf.tidy((): tf.Scalar => {
          const batchIndices = tf.tensor1d(indices, 'int32');
          const x = tf.gather(train.x, batchIndices);
          const y = tf.gather(train.y, batchIndices);
          return optimizer.minimize(
            () => tf.mean(perExampleCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor)),
            true,
          )!;
        });
        const value = (await loss.data())[0]!;
        loss.dispose();
        trainMs += performance.now() - start;
        evaluator.afterStep();
        memory.sample();
        step += 1;
        if (!Number.isFinite(value)) throw new Error(`training diverged: loss ${value} at step ${step}`);
        options.onStep?.(step, totalSteps, value);
        await yieldToEventLoop();
      }
      // Evaluated outside the optional call: `f?.(g())` skips g() when f is absent.
      const { accuracy } = evaluator.evaluate();
      options.onEpoch?.(epoch + 1, accuracy);
    }
  } finally {
    optimizer.dispose();
    evaluator.dispose();
  }
  return {
    accuracyPerEpoch: evaluator.accuracyPerEpoch,
    averagedAccuracyPerEpoch: evaluator.averagedAccuracyPerEpoch,
    steps: step,
    trainSeconds: trainMs / 1000,
    stepTimeMs: trainMs / step,
    samplesPerSecond: (step * batchSize) / (trainMs / 1000),
    peakMemoryMiB: memory.peakMiB,
  };
}
