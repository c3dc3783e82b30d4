import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clippedSum,
  ghostIsCheaper,
  ghostNormIsCheaper,
  materialize,
  mergeContributions,
  variableNorms,
} from './contributions';
import type { GradientContribution } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function close(a: tf.Tensor, b: tf.Tensor, tolerance = 1e-4) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < y.length; i++)
    expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(tolerance * (1 + Math.abs(y[i]!)));
}

describe('gradient contributions', () => {
  const outer: GradientContribution = {
    kind: 'outer',
    left: tf.randomNormal([3, 5, 4], 0, 1, 'float32', 1),
    right: tf.randomNormal([3, 5, 2], 0, 1, 'float32', 2),
  };
  const rows: GradientContribution = {
    kind: 'rows',
    indices: tf.tensor2d([0, 2, 2, 1, 3, 3, 3, 3, 0, 1, 2, 3], [3, 4], 'int32'),
    right: tf.randomNormal([3, 4, 2], 0, 1, 'float32', 3),
    rowCount: 5,
  };
  const single: GradientContribution = {
    kind: 'outer',
    left: tf.randomNormal([3, 1, 6], 0, 1, 'float32', 6),
    right: tf.randomNormal([3, 1, 3], 0, 1, 'float32', 7),
  };
  const factors = tf.tensor1d([0.5, 1, 0]);

  for (const [name, c, shape] of [
    ['outer product', outer, [4, 2]],
    ['outer product with one position', single, [6, 3]],
    ['row lookup', rows, [5, 2]],
  ] as const) {
    it(`${name}: ghost norms equal materialised norms; record-based sums equal weighted sums`, () => {
      const perExample = materialize(c, [...shape]);
      const ghost = variableNorms(c, [...shape], 'ghost');
      const materialised = variableNorms(c, [...shape], 'materialized');
      expect(ghost.perExample).toBeUndefined();
      close(ghost.squaredNorms, materialised.squaredNorms);
      close(materialised.squaredNorms, tf.sum(tf.square(perExample), [1, 2]));
      expect(Math.min(...ghost.squaredNorms.dataSync())).toBeGreaterThan(0);
      const expected = tf.sum(tf.mul(perExample, tf.reshape(factors, [3, 1, 1])), 0);
      close(clippedSum(c, factors, [...shape]), expected);
      close(clippedSum(c, factors, [...shape], perExample), expected);
    });
  }

  it('row lookups materialise with every repeated index accumulated', () => {
    const perExample = materialize(rows, [5, 2]).arraySync() as number[][][];
    const right = rows.right.arraySync() as number[][][];
    // Example 1 looked up row 3 four times.
    const expectedRow3 = [0, 1].map((f) => right[1]!.reduce((s, r) => s + r[f]!, 0));
    expect(perExample[1]![3]![0]).toBeCloseTo(expectedRow3[0]!, 5);
    expect(perExample[1]![3]![1]).toBeCloseTo(expectedRow3[1]!, 5);
    expect(perExample[1]![0]).toEqual([0, 0]);
  });

  it('merging calls of a shared layer sums the per-example gradients', () => {
    const second: GradientContribution = {
      kind: 'outer',
      left: tf.randomNormal([3, 2, 4], 0, 1, 'float32', 4),
      right: tf.randomNormal([3, 2, 2], 0, 1, 'float32', 5),
    };
    const merged = mergeContributions([outer, second], [4, 2]);
    expect(merged.kind).toBe('outer');
    close(materialize(merged, [4, 2]), tf.add(materialize(outer, [4, 2]), materialize(second, [4, 2])));
    const mixed = mergeContributions(
      [outer, { kind: 'materialized', perExample: materialize(second, [4, 2]) }],
      [4, 2],
    );
    expect(mixed.kind).toBe('materialized');
    close(materialize(mixed, [4, 2]), materialize(merged, [4, 2]));
  });

  it('chooses ghost norms only when the Gram matrices are cheaper', () => {
    const wide: GradientContribution = {
      kind: 'outer',
      left: tf.zeros([2, 1, 300]),
      right: tf.zeros([2, 1, 100]),
    };
    const long: GradientContribution = {
      kind: 'outer',
      left: tf.zeros([2, 784, 9]),
      right: tf.zeros([2, 784, 8]),
    };
    expect(ghostIsCheaper(wide)).toBe(true);
    expect(ghostIsCheaper(long)).toBe(false);
    expect(variableNorms(long, [9, 8], 'auto').perExample).toBeDefined();
    expect(variableNorms(wide, [300, 100], 'auto').perExample).toBeUndefined();
  });

  it('mixed ghost picks ghost norms only where two T×T Gram matrices are smaller than the gradient', () => {
    const convolution = (size: number, channelsIn: number, channelsOut: number): GradientContribution => ({
      kind: 'convolution',
      input: tf.zeros([1, size, size, channelsIn]) as tf.Tensor4D,
      grad: tf.zeros([1, size, size, channelsOut]) as tf.Tensor4D,
      geometry: { kernelSize: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'same' },
    });
    // 64×64 first layer: T = 4096, 2T² = 33.5M Gram entries against a 9×8 gradient.
    expect(ghostNormIsCheaper(convolution(64, 1, 8))).toBe(false);
    // 8×8 bottleneck 128 -> 128: 2T² = 8192 < K·F = 1152·128.
    expect(ghostNormIsCheaper(convolution(8, 128, 128))).toBe(true);
    // T = 16, K = F = 32: ghost for the norm alone (512 < 1024) but not for book-keeping (2048 > 1024).
    const middle: GradientContribution = {
      kind: 'outer',
      left: tf.randomNormal([3, 16, 32], 0, 1, 'float32', 8),
      right: tf.randomNormal([3, 16, 32], 0, 1, 'float32', 9),
    };
    expect(ghostNormIsCheaper(middle)).toBe(true);
    expect(ghostIsCheaper(middle)).toBe(false);
    const mixed = variableNorms(middle, [32, 32], 'mixed');
    expect(mixed.perExample).toBeUndefined();
    close(mixed.squaredNorms, variableNorms(middle, [32, 32], 'materialized').squaredNorms);
    // Boundary: 2T² = K·F materialises. T = 4, K = 8, F = 4.
    const equal: GradientContribution = {
      kind: 'outer',
      left: tf.zeros([1, 4, 8]),
      right: tf.zeros([1, 4, 4]),
    };
    expect(ghostNormIsCheaper(equal)).toBe(false);
    expect(variableNorms(equal, [8, 4], 'mixed').perExample).toBeDefined();
    expect(ghostNormIsCheaper({ kind: 'materialized', perExample: tf.zeros([1, 2]) })).toBe(false);
  });
});
