import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convAxis, extractPatches } from './patches';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('extractPatches', () => {
  const cases = [
    { shape: [2, 7, 6, 3], k: [3, 3], s: [1, 1], d: [1, 1], p: 'same' },
    { shape: [2, 7, 6, 3], k: [3, 2], s: [2, 2], d: [1, 1], p: 'same' },
    { shape: [1, 8, 9, 2], k: [2, 3], s: [3, 2], d: [1, 1], p: 'valid' },
    { shape: [2, 9, 8, 2], k: [3, 2], s: [1, 1], d: [2, 3], p: 'same' },
    { shape: [2, 9, 8, 2], k: [2, 2], s: [1, 1], d: [3, 2], p: 'valid' },
  ] as const;
  for (const c of cases) {
    it(`patches · kernel equals tf.conv2d (kernel ${c.k}, strides ${c.s}, dilation ${c.d}, ${c.p})`, () => {
      const x = tf.randomNormal([...c.shape], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filters = 4;
      const kernel = tf.randomNormal(
        [c.k[0], c.k[1], c.shape[3], filters],
        0,
        1,
        'float32',
        2,
      ) as tf.Tensor4D;
      const conv = tf.conv2d(x, kernel, [...c.s] as [number, number], c.p, 'NHWC', [...c.d] as [
        number,
        number,
      ]);
      const patches = extractPatches(x, { kernelSize: c.k, strides: c.s, dilations: c.d, padding: c.p });
      const product = tf.matMul(
        patches,
        tf.tile(tf.expandDims(tf.reshape(kernel, [-1, filters]), 0), [c.shape[0], 1, 1]),
      );
      expect(product.shape).toEqual([c.shape[0], conv.shape[1] * conv.shape[2], filters]);
      const a = product.dataSync();
      const b = conv.dataSync();
      let worst = 0;
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(1e-4);
    });
  }
  it('computes tfjs output sizes and paddings', () => {
    expect(convAxis(7, 3, 2, 1, 'same')).toEqual({ outSize: 4, padBefore: 1, padAfter: 1 });
    expect(convAxis(8, 2, 2, 1, 'same')).toEqual({ outSize: 4, padBefore: 0, padAfter: 0 });
    expect(convAxis(6, 4, 1, 1, 'same')).toEqual({ outSize: 6, padBefore: 1, padAfter: 2 });
    expect(convAxis(9, 3, 1, 2, 'valid').outSize).toBe(5);
  });
});
