import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const x = tf.randomNormal([40, 3], 0, 1, 'float32', 41);
const y = tf.cast(tf.oneHot(tf.cast(tf.greater(tf.sum(x, 1), 0), 'int32'), 2), 'float32');
const xVal = tf.randomNormal([20, 3], 0, 1, 'float32', 43);
const yVal = tf.cast(tf.oneHot(tf.cast(tf.greater(tf.sum(xVal, 1), 0), 'int32'), 2), 'float32');

function makeTrainer(epochs = 4) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [3],
        units: 2,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }),
      }),
    ],
  });
  return new PrivacyEngine().makePrivate({
    model,
    loss: 'categoricalCrossentropy',
    datasetSize: 40,
    epochs,
    batchSize: 10,
    mode: 'BLT',
    maxGradNorm: 1,
    noiseMultiplier: 1,
    targetEpsilon: 1000,
    targetDelta: 1e-5,
    seed: 9,
  });
}

describe('fit(x, y, args) as tfjs model.fit', () => {
  it('returns a tfjs History with tfjs log keys and epsilon per epoch', async () => {
    const trainer = makeTrainer();
    const history = await trainer.fit(x, y, { epochs: 2, validationData: [xVal, yVal] });
    expect(history).toBeInstanceOf(tfl.History);
    expect(history.epoch).toEqual([0, 1]);
    expect(Object.keys(history.history).sort()).toEqual(['epsilon', 'loss', 'val_acc', 'val_loss']);
    expect(history.history.loss).toHaveLength(2);
    expect(history.history.epsilon?.[1]).toBeCloseTo(trainer.getEpsilon(), 12);
    expect(history.history.epsilon?.[0]).toBeLessThan(history.history.epsilon?.[1] as number);
    expect(history.history.val_loss?.[1]).toBeCloseTo(trainer.evaluate({ x: xVal, y: yVal }).loss, 6);
    expect(history.reason).toBe('completed');
    expect(trainer.steps).toBe(8);
  });

  it('tfl.callbacks.earlyStopping stops a private run cleanly, with the epsilon spent reported', async () => {
    const trainer = makeTrainer();
    // minDelta larger than any change: no epoch after the first counts as an improvement, patience 0 stops at once.
    const earlyStopping = tfl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 0, minDelta: 1e9 });
    let trainEndLogs: Record<string, unknown> | undefined;
    class RecordTrainEnd extends tfl.Callback {
      override async onTrainEnd(logs?: Record<string, unknown>) {
        trainEndLogs = logs;
      }
    }
    const history = await trainer.fit(x, y, {
      validationData: [xVal, yVal],
      callbacks: [earlyStopping, new RecordTrainEnd()],
    });
    expect(history.epoch).toEqual([0, 1]);
    expect(history.reason).toBe('stopped');
    expect(trainer.steps).toBe(8); // two of the four planned epochs
    expect(trainer.stopTraining).toBe(true);
    expect(trainEndLogs?.epsilon).toBeCloseTo(trainer.getEpsilon(), 12);
    expect(history.history.epsilon?.at(-1)).toBeCloseTo(trainer.getEpsilon(), 12);
    // The run goes on from where it stopped.
    const rest = await trainer.fit(x, y, { epochs: 4, initialEpoch: 2 });
    expect(rest.epoch).toEqual([2, 3]);
    expect(trainer.steps).toBe(16);
  });

  it('calls custom callbacks with tfjs arguments and keys', async () => {
    const trainer = makeTrainer();
    const calls: string[] = [];
    await trainer.fit(x, y, {
      epochs: 1,
      callbacks: {
        onTrainBegin: async () => void calls.push('trainBegin'),
        onEpochBegin: async (epoch) => void calls.push(`epochBegin ${epoch}`),
        // epsilon is read on demand in batch logs: not among the keys tfjs enumerates, but there.
        onBatchEnd: async (batch, logs) =>
          void calls.push(
            `batchEnd ${batch} ${Object.keys(logs ?? {}).join(',')} ${(logs?.epsilon as number) > 0}`,
          ),
        onEpochEnd: async (epoch, logs) =>
          void calls.push(`epochEnd ${epoch} ${Object.keys(logs ?? {}).join(',')}`),
      },
    });
    expect(calls).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchEnd 0 batch,size,loss true',
      'batchEnd 1 batch,size,loss true',
      'batchEnd 2 batch,size,loss true',
      'batchEnd 3 batch,size,loss true',
      'epochEnd 0 loss,epsilon',
    ]);
  });

  it('refuses the arguments that cannot apply to private training, saying why and what to use', async () => {
    const trainer = makeTrainer();
    await expect(trainer.fit(x, y, { batchSize: 32 } as never)).rejects.toThrow(
      /batch size is set by makePrivate/,
    );
    await expect(trainer.fit(x, y, { shuffle: true } as never)).rejects.toThrow(/samples every batch itself/);
    await expect(trainer.fit(x, y, { validationSplit: 0.2 } as never)).rejects.toThrow(
      /pass the held-out part as validationData/,
    );
    await expect(trainer.fit(x, y, { classWeight: { 0: 2 } } as never)).rejects.toThrow(
      /per-example loss function/,
    );
    await expect(trainer.fit(x, y, { epoch: 2 } as never)).rejects.toThrow(/unknown fit argument 'epoch'/);
    await expect(trainer.fit(x, y, { initialEpoch: 1, epochs: 2 })).rejects.toThrow(
      /initialEpoch must be the epoch this trainer is at \(0\)/,
    );
    await expect(trainer.fit(x, y, { epochs: 9 })).rejects.toThrow(/epochs must be an integer in \[1, 4\]/);
    expect(trainer.steps).toBe(0);
  });

  it('keeps the fit(data, options) form', async () => {
    const trainer = makeTrainer();
    const history = await trainer.fit({ x, y }, { epochs: 1 });
    expect(history.loss).toHaveLength(1);
    expect(history.reason).toBe('completed');
  });
});
