import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
// tfjs-layers' own loss functions (those `model.compile({ loss: name })` uses), from its ES module build.
import * as tflLosses from '@tensorflow/tfjs-layers/dist/losses';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOSS_NAMES, type LossName, perExampleLoss, resolveLossOption } from './losses';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BATCH = 6;
const CLASSES = 4;

/** Targets and predictions in the domain each loss is meant for. */
function dataFor(name: LossName): { yTrue: tf.Tensor; yPred: tf.Tensor } {
  const logits = tf.randomNormal([BATCH, CLASSES], 0, 2, 'float32', 7);
  const labels = tf.tensor1d([0, 3, 1, 2, 3, 0], 'int32');
  switch (name) {
    case 'categoricalCrossentropy':
    case 'kullbackLeiblerDivergence':
      return { yTrue: tf.cast(tf.oneHot(labels, CLASSES), 'float32'), yPred: tf.softmax(logits) };
    case 'sparseCategoricalCrossentropy':
      return { yTrue: tf.cast(labels, 'float32'), yPred: tf.softmax(logits) };
    case 'binaryCrossentropy':
      return { yTrue: tf.cast(tf.greater(logits, 0.5), 'float32'), yPred: tf.sigmoid(tf.mul(logits, 0.7)) };
    case 'hinge':
    case 'squaredHinge':
      return {
        yTrue: tf.sub(tf.mul(tf.cast(tf.greater(logits, 0), 'float32'), 2), 1),
        yPred: tf.tanh(logits),
      };
    case 'categoricalHinge':
      return { yTrue: tf.cast(tf.oneHot(labels, CLASSES), 'float32'), yPred: logits };
    case 'poisson':
    case 'meanSquaredLogarithmicError':
    case 'meanAbsolutePercentageError':
      return { yTrue: tf.exp(tf.randomNormal([BATCH, CLASSES], 0, 1, 'float32', 3)), yPred: tf.exp(logits) };
    default:
      return { yTrue: tf.randomNormal([BATCH, CLASSES], 0, 1, 'float32', 5), yPred: logits };
  }
}

const tfjsLoss = (name: LossName) =>
  (tflLosses as unknown as Record<string, (a: tf.Tensor, b: tf.Tensor, fromLogits?: boolean) => tf.Tensor>)[
    name
  ]!;

describe('perExampleLoss', () => {
  it('names every loss of tfjs-layers model.compile', () => {
    expect([...LOSS_NAMES].sort()).toEqual(Object.keys(tflLosses.lossesMap).sort());
  });

  for (const name of LOSS_NAMES) {
    it(`${name} equals tfjs-layers' ${name} example by example`, () => {
      const { yTrue, yPred } = dataFor(name);
      const ours = perExampleLoss(name)(yTrue, yPred);
      expect(ours.shape).toEqual([BATCH]);
      const values = ours.dataSync();
      for (let i = 0; i < BATCH; i++) {
        // tfjs on the example alone: no value may depend on another example of the batch.
        const reference = tfjsLoss(name)(
          tf.slice(yTrue, i, 1),
          tf.slice(yPred, i, 1),
        ).dataSync()[0] as number;
        expect(values[i]).toBeCloseTo(reference, 5);
      }
      // The batch mean is what model.compile({ loss: name }) minimises.
      const batchMean = tf.mean(tfjsLoss(name)(yTrue, yPred)).dataSync()[0] as number;
      expect(tf.mean(ours).dataSync()[0]).toBeCloseTo(batchMean, 5);
    });
  }

  it('categoricalCrossentropy fromLogits equals tf.losses.softmaxCrossEntropy per example, also for large logits', () => {
    const logits = tf.mul(tf.randomNormal([BATCH, CLASSES], 0, 1, 'float32', 11), 30);
    const yTrue = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), CLASSES), 'float32');
    const reference = tf.losses.softmaxCrossEntropy(yTrue, logits, undefined, 0, tf.Reduction.NONE);
    const ours = perExampleLoss('categoricalCrossentropy', { fromLogits: true })(yTrue, logits);
    expect(Array.from(ours.dataSync())).toEqual(
      Array.from(reference.dataSync()).map((v) => expect.closeTo(v, 3)),
    );
    // Sparse labels give the same values.
    const sparse = perExampleLoss('sparseCategoricalCrossentropy', { fromLogits: true })(
      tf.tensor1d([0, 1, 2, 3, 1, 2]),
      logits,
    );
    expect(Array.from(sparse.dataSync())).toEqual(Array.from(ours.dataSync()));
  });

  it('binaryCrossentropy fromLogits equals the mean of tf.losses.sigmoidCrossEntropy per example', () => {
    const logits = tf.randomNormal([BATCH, 3], 0, 3, 'float32', 13);
    const yTrue = tf.cast(tf.greater(tf.randomNormal([BATCH, 3], 0, 1, 'float32', 17), 0), 'float32');
    const reference = tf.mean(
      tf.losses.sigmoidCrossEntropy(yTrue, logits, undefined, 0, tf.Reduction.NONE),
      -1,
    );
    const ours = perExampleLoss('binaryCrossentropy', { fromLogits: true })(yTrue, logits);
    Array.from(reference.dataSync()).forEach((v, i) => {
      expect(ours.dataSync()[i]).toBeCloseTo(v, 5);
    });
  });

  it('gives one value per example for rank-1 outputs and averages the other axes of rank > 2 outputs', () => {
    const yPred = tf.tensor1d([0.2, 0.9, 0.6]);
    const yTrue = tf.tensor1d([0, 1, 1]);
    const perExample = perExampleLoss('binaryCrossentropy')(yTrue, yPred);
    expect(perExample.shape).toEqual([3]);
    expect(perExample.dataSync()[0]).toBeCloseTo(-Math.log(0.8), 5);
    const images = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 19);
    const targets = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 23);
    const mse = perExampleLoss('meanSquaredError')(targets, images);
    expect(mse.shape).toEqual([2]);
    const reference = tf.mean(tf.square(tf.sub(images, targets)), [1, 2, 3]);
    Array.from(reference.dataSync()).forEach((v, i) => {
      expect(mse.dataSync()[i]).toBeCloseTo(v, 5);
    });
  });

  it('refuses an unknown name and fromLogits where tfjs has none', () => {
    expect(() => perExampleLoss('crossEntropy' as LossName)).toThrow(
      /loss must be one of categoricalCrossentropy/,
    );
    expect(() => perExampleLoss('meanSquaredError', { fromLogits: true })).toThrow(
      /fromLogits applies to categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy/,
    );
  });
});

describe('resolveLossOption', () => {
  const fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.sum(tf.sub(yTrue, yPred), -1);
  it('takes a name, a function as loss, or a function as lossFn, exactly one', () => {
    expect(resolveLossOption(fn, undefined)).toBe(fn);
    expect(resolveLossOption(undefined, fn)).toBe(fn);
    const { yTrue, yPred } = dataFor('hinge');
    expect(Array.from(resolveLossOption('hinge', undefined)(yTrue, yPred).dataSync())).toEqual(
      Array.from(perExampleLoss('hinge')(yTrue, yPred).dataSync()),
    );
    expect(() => resolveLossOption('hinge', fn)).toThrow(/not both/);
    expect(() => resolveLossOption(undefined, undefined)).toThrow(/option 'loss' is required/);
    expect(() => resolveLossOption(3, undefined)).toThrow(/loss must be a tfjs loss name/);
    expect(() => resolveLossOption(undefined, 'hinge')).toThrow(/lossFn must be a function/);
  });
});

describe("the engine's loss option", () => {
  function trainOnce(loss: Record<string, unknown>): Float32Array {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [3],
          units: CLASSES,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
      ],
    });
    const x = tf.randomNormal([8, 3], 0, 1, 'float32', 29);
    const y = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), CLASSES), 'float32');
    const trainer = new PrivacyEngine().makePrivate({
      model,
      ...loss,
      data: { x, y },
      epochs: 1,
      batchSize: 4,
      mode: 'DP-SGD-BASE',
      maxGradNorm: 1,
      noiseMultiplier: 0.5,
      seed: 3,
    } as unknown as Parameters<PrivacyEngine['makePrivate']>[0]);
    trainer.step();
    return model.getWeights()[0]!.dataSync() as Float32Array;
  }

  it('trains with a loss given by name exactly as with the same per-example function', () => {
    const byName = trainOnce({ loss: 'categoricalCrossentropy' });
    const byFunction = trainOnce({ lossFn: perExampleLoss('categoricalCrossentropy') });
    const other = trainOnce({ loss: 'meanSquaredError' });
    expect(Array.from(byName)).toEqual(Array.from(byFunction));
    expect(Array.from(byName)).not.toEqual(Array.from(other));
  });

  it('refuses an unknown loss name with the names tfjs has', () => {
    expect(() => trainOnce({ loss: 'crossEntropy' })).toThrow(/loss must be one of categoricalCrossentropy/);
  });
});
