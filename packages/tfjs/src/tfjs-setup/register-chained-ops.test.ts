import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import '../index';
import { registerChainedOps } from './register-chained-ops';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const prototype = tf.Tensor.prototype as unknown as Record<string, unknown>;

describe('registerChainedOps', () => {
  it('importing the library lets recurrent layers build with their default (orthogonal) initializers', () => {
    for (const make of [
      () => tfl.layers.lstm({ units: 4, inputShape: [3, 2] }),
      () => tfl.layers.gru({ units: 4, inputShape: [3, 2] }),
      () => tfl.layers.simpleRNN({ units: 4, inputShape: [3, 2] }),
    ]) {
      const model = tfl.sequential({ layers: [make()] });
      const out = model.predict(tf.ones([2, 3, 2])) as tf.Tensor;
      expect(out.shape).toEqual([2, 4]);
      // The orthogonal recurrent kernel [units, gates·units] has orthonormal rows: R·Rᵀ = I.
      const recurrent = model.layers[0]!.getWeights()[1]!;
      const gram = tf.matMul(recurrent, recurrent, false, true).arraySync() as number[][];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) expect(gram[i]![j]).toBeCloseTo(i === j ? 1 : 0, 4);
      model.dispose();
    }
  });

  it('defines the missing methods, with the semantics of the op of the same name', () => {
    const saved = prototype.flatten;
    const savedWhere = prototype.where;
    delete prototype.flatten;
    delete prototype.where;
    try {
      expect(() => tfl.layers.lstm({ units: 2, inputShape: [2, 2] }).apply(tf.ones([1, 2, 2]))).toThrow(
        /flatten is not a function/,
      );
      expect(registerChainedOps().sort()).toEqual(['flatten', 'where']);
      type Chained = tf.Tensor & {
        flatten(): tf.Tensor;
        where(condition: tf.Tensor, other: tf.Tensor): tf.Tensor;
        stridedSlice(begin: number[], end: number[], strides: number[]): tf.Tensor;
      };
      const t = tf.tensor2d([
        [1, -2],
        [3, -4],
      ]) as unknown as Chained;
      expect(t.flatten().arraySync()).toEqual([1, -2, 3, -4]);
      // where(condition, other) keeps this tensor where the condition holds.
      expect(t.where(tf.greater(t, 0), tf.zerosLike(t)).arraySync()).toEqual([
        [1, 0],
        [3, 0],
      ]);
      expect(t.stridedSlice([0, 1], [2, 2], [1, 1]).arraySync()).toEqual([[-2], [-4]]);
      expect(registerChainedOps()).toEqual([]);
      t.dispose();
      expect(() => t.flatten()).toThrow(/disposed/);
    } finally {
      prototype.flatten = saved ?? prototype.flatten;
      prototype.where = savedWhere ?? prototype.where;
    }
  });
});
