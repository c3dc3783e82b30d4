import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { perExampleLoss } from './losses';
import { PrivacyEngine } from './privacy-engine';
import type { TrainCallbacks } from './private-trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const x = tf.randomNormal([48, 3], 0, 1, 'float32', 71);
const labels = tf.cast(tf.greater(tf.sum(tf.mul(x, tf.tensor1d([1, -0.5, 0.25])), 1), 0), 'int32');
const yOneHot = tf.cast(tf.oneHot(labels, 2), 'float32');
const yBinary = tf.reshape(tf.cast(labels, 'float32'), [48, 1]);

type Options = {
  readonly metrics?: readonly ('accuracy' | 'acc')[];
  readonly reportTrainingLoss?: boolean;
  readonly binary?: boolean;
};

/** A run with Poisson batches (their sizes vary, so the epoch accuracy is weighted by examples). */
function makeTrainer(options: Options = {}) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [3],
        units: options.binary === true ? 1 : 2,
        // Logits for the binary model: its accuracy thresholds at 0.
        activation: options.binary === true ? 'linear' : 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }),
      }),
    ],
  });
  return new PrivacyEngine().makePrivate({
    model,
    ...(options.binary === true
      ? { lossFn: perExampleLoss('binaryCrossentropy', { fromLogits: true }) }
      : { loss: 'categoricalCrossentropy' as const }),
    datasetSize: 48,
    epochs: 3,
    batchSize: 8,
    mode: 'DP-SGD-AMPLIFIED',
    accountant: 'rdp',
    maxGradNorm: 1,
    noiseMultiplier: 0.6,
    targetEpsilon: 1000,
    targetDelta: 1e-5,
    learningRate: 0.5,
    seed: 12,
    ...(options.metrics === undefined ? {} : { metrics: [...options.metrics] }),
    ...(options.reportTrainingLoss === undefined ? {} : { reportTrainingLoss: options.reportTrainingLoss }),
  });
}

type Trainer = ReturnType<typeof makeTrainer>;

/**
 * The reference: before each step, the model's predictions on the whole training set (read in plain JS); after it,
 * the correct ones among the indices the sampler drew, by argmax (one-hot labels) or by the sign of the logit.
 */
function referenceAccuracy(trainer: Trainer, binary: boolean) {
  const truth = Array.from(labels.dataSync());
  const batches: { correct: number; examples: number }[] = [];
  let predictions: number[][] = [];
  const nextBatch = trainer.sampler.nextBatch.bind(trainer.sampler);
  let drawn: Int32Array = new Int32Array(0);
  trainer.sampler.nextBatch = () => {
    drawn = nextBatch();
    return drawn;
  };
  const callbacks: TrainCallbacks = {
    // Through the closure: the tfjs form calls these with tfjs's arguments.
    onBatchBegin: () => {
      predictions = ((trainer.model as tfl.LayersModel).predict(x) as tf.Tensor).arraySync() as number[][];
    },
    onBatchEnd: () => {
      let correct = 0;
      for (const i of drawn) {
        const row = predictions[i] as number[];
        const predicted = binary ? ((row[0] as number) > 0 ? 1 : 0) : row[1]! > row[0]! ? 1 : 0;
        if (predicted === truth[i]) correct++;
      }
      batches.push({ correct, examples: drawn.length });
    },
  };
  const epochs = () => {
    const perEpoch = trainer.report.run.stepsPerEpoch;
    const out: number[] = [];
    for (let e = 0; e * perEpoch < batches.length; e++) {
      const part = batches.slice(e * perEpoch, (e + 1) * perEpoch);
      const correct = part.reduce((s, b) => s + b.correct, 0);
      const examples = part.reduce((s, b) => s + b.examples, 0);
      out.push(correct / examples);
    }
    return out;
  };
  return { callbacks, batches, epochs };
}

describe('training accuracy (tfjs acc) in the logs and the history', () => {
  it('fit(x, y, args): History.history.acc and the batch logs match an independent count, epoch by epoch', async () => {
    const trainer = makeTrainer({ metrics: ['accuracy'] });
    const reference = referenceAccuracy(trainer, false);
    const batchAcc: number[] = [];
    const epochAcc: number[] = [];
    const history = await trainer.fit(x, yOneHot, {
      callbacks: [
        reference.callbacks as never,
        {
          onBatchEnd: async (_batch: number, logs?: tfl.Logs) => {
            batchAcc.push(logs?.acc as number);
          },
          onEpochEnd: async (_epoch: number, logs?: tfl.Logs) => {
            epochAcc.push(logs?.acc as number);
          },
        },
      ],
    });
    expect(Object.keys(history.history).sort()).toEqual(['acc', 'epsilon', 'loss']);
    const expected = reference.epochs();
    expect(expected).toHaveLength(3);
    // Poisson batches: the sizes vary, so the epoch value is a weighted mean, not the mean of the batch values.
    expect(new Set(reference.batches.map((b) => b.examples)).size).toBeGreaterThan(1);
    history.history.acc?.forEach((acc, e) => {
      expect(acc).toBeCloseTo(expected[e] as number, 12);
    });
    expect(epochAcc).toEqual(history.history.acc);
    expect(batchAcc).toHaveLength(reference.batches.length);
    batchAcc.forEach((acc, i) => {
      const { correct, examples } = reference.batches[i] as { correct: number; examples: number };
      if (examples === 0) expect(acc).toBeNaN();
      else expect(acc).toBeCloseTo(correct / examples, 12);
    });
  });

  it("fit(data, options): FitHistory.accuracy with 'acc' on a single logit output", async () => {
    const trainer = makeTrainer({ metrics: ['acc'], binary: true });
    const reference = referenceAccuracy(trainer, true);
    const history = await trainer.fit({ x, y: yBinary }, { callbacks: reference.callbacks });
    const expected = reference.epochs();
    expect(history.accuracy).toHaveLength(3);
    history.accuracy?.forEach((acc, e) => {
      expect(acc).toBeCloseTo(expected[e] as number, 12);
    });
  });

  it('is absent without an accuracy metric, NaN with reportTrainingLoss: false, and leaves training unchanged', async () => {
    const plain = makeTrainer();
    const plainHistory = await plain.fit(x, yOneHot, {});
    expect(Object.keys(plainHistory.history)).not.toContain('acc');
    expect((await makeTrainer().fit({ x, y: yOneHot }, { epochs: 1 })).accuracy).toBeUndefined();

    const silent = makeTrainer({ metrics: ['accuracy'], reportTrainingLoss: false });
    const silentHistory = await silent.fit(x, yOneHot, {});
    expect(silentHistory.history.acc).toHaveLength(3);
    for (const acc of silentHistory.history.acc as number[]) expect(acc).toBeNaN();

    // Measuring it (inference mode, before the update) changes nothing in the trained weights.
    const measured = makeTrainer({ metrics: ['accuracy'] });
    await measured.fit(x, yOneHot, {});
    const weights = (t: Trainer) => t.exportState().weights.map((w) => Array.from(w.values));
    expect(weights(measured)).toEqual(weights(plain));
    expect(weights(silent)).toEqual(weights(plain));
  });
});
