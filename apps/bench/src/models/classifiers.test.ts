import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCnn, createMlp, createUnet } from './classifiers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('models', () => {
  it('CNN has the original 107,146 parameters and 10 logits for a 28x28 image', () => {
    const model = createCnn({ seed: 1 });
    expect(model.countParams()).toBe(107_146);
    expect(model.layers.find((l) => l.getClassName() === 'Flatten')!.outputShape).toEqual([null, 576]);
    const out = tf.tidy(() => (model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape);
    expect(out).toEqual([2, 10]);
    model.dispose();
  });

  it('MLP is 784-128-64-10 with 109,386 parameters', () => {
    const model = createMlp();
    expect(model.countParams()).toBe(784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
    model.dispose();
  });

  it('U-Net maps 64x64 images to 64x64 logits with 14,265 parameters', () => {
    const model = createUnet({ seed: 3 });
    // 80 + 1168 + 4640 (down, bottleneck) + 2064 + 4624 (up 2) + 520 + 1160 (up 1) + 9 (head)
    expect(model.countParams()).toBe(80 + 1168 + 4640 + 2064 + 4624 + 520 + 1160 + 9);
    const out = tf.tidy(() => (model.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor).shape);
    expect(out).toEqual([1, 64, 64, 1]);
    model.dispose();
  });

  it('a seed makes the initial weights reproducible', () => {
    const [a, b] = [createCnn({ seed: 5 }), createCnn({ seed: 5 })];
    const first = (m: typeof a) => m.getWeights()[0]!.dataSync()[0];
    expect(first(a)).toBe(first(b));
    expect(first(createCnn({ seed: 6 }))).not.toBe(first(a));
  });
});
