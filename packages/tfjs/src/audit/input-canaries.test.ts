import '@tensorflow/tfjs-backend-cpu';
import { SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../../test/engine-fixtures';
import { inputCanaryHook, inputCanaryScores, makeInputCanaries } from './input-canaries';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('makeInputCanaries', () => {
  it('makes inputs of the data shape inside its range, with labels of training examples', () => {
    const x = tf.tensor3d(
      [...Array(24).keys()].map((v) => v - 5),
      [4, 3, 2],
    );
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const canaries = makeInputCanaries({ x, y }, 4, 50, SeededRandom.fromSeed(4));
    const cx = canaries.x as tf.Tensor;
    expect(cx.shape).toEqual([50, 3, 2]);
    const values = cx.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-5);
    expect(Math.max(...values)).toBeLessThanOrEqual(18);
    const labels = canaries.y.arraySync() as number[][];
    const real = y.arraySync() as number[][];
    for (const label of labels) expect(real.some((r) => r.join() === label.join())).toBe(true);
    tf.dispose([x, y, cx, canaries.y]);
  });

  it('refuses a multi-input model', () => {
    const x = [tf.zeros([2, 1]), tf.zeros([2, 1])];
    expect(() => makeInputCanaries({ x, y: tf.zeros([2, 1]) }, 2, 3, SeededRandom.fromSeed(1))).toThrow(
      /single-input model/,
    );
  });
});

describe('inputCanaryHook', () => {
  it('keeps the real examples and the included canaries only', () => {
    const hook = inputCanaryHook(3, Uint8Array.from([1, 0, 1]));
    expect(Array.from(hook.realIndices(Int32Array.from([0, 3, 4, 5, 2])))).toEqual([0, 3, 5, 2]);
    expect(hook.withCanaries).toBeUndefined();
  });
});

describe('inputCanaryScores', () => {
  it('is minus the per-example loss of the model on each canary', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })],
    });
    const x = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
      [3, -2],
    ]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1], 'int32'), 2);
    const scores = inputCanaryScores(model, crossEntropy, { x, y });
    const probabilities = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    [0, 1, 1].forEach((label, i) => {
      expect(scores[i]).toBeCloseTo(Math.log((probabilities[i] as number[])[label] as number), 5);
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});
