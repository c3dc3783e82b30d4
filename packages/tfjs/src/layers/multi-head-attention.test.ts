import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadAttention, multiHeadAttention } from './multi-head-attention';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Matrix = number[][];
const product = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const affine = (x: Matrix, kernel: Matrix, bias: number[]): Matrix =>
  product(x, kernel).map((row) => row.map((v, j) => v + bias[j]!));
const columns = (m: Matrix, start: number, count: number): Matrix =>
  m.map((row) => row.slice(start, start + count));

/** Attention of one example in float64 JavaScript, straight from the definition. */
function bruteForce(
  query: Matrix,
  value: Matrix,
  weights: Matrix[],
  numHeads: number,
  keyDim: number,
  attend: (i: number, j: number) => boolean,
): Matrix {
  const [wq, bq, wk, bk, wv, bv, wo, bo] = weights as [
    Matrix,
    Matrix,
    Matrix,
    Matrix,
    Matrix,
    Matrix,
    Matrix,
    Matrix,
  ];
  const q = affine(query, wq, bq[0]!);
  const k = affine(value, wk, bk[0]!);
  const v = affine(value, wv, bv[0]!);
  const valueDim = v[0]!.length / numHeads;
  const heads = query.map(() => [] as number[]);
  for (let h = 0; h < numHeads; h++) {
    const qh = columns(q, h * keyDim, keyDim);
    const kh = columns(k, h * keyDim, keyDim);
    const vh = columns(v, h * valueDim, valueDim);
    qh.forEach((qi, i) => {
      const scores = kh.map((kj, j) =>
        attend(i, j) ? qi.reduce((s, x, d) => s + x * kj[d]!, 0) / Math.sqrt(keyDim) : -1e9,
      );
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const total = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < valueDim; d++)
        heads[i]!.push(vh.reduce((s, vj, j) => s + (e[j]! / total) * vj[d]!, 0));
    });
  }
  return affine(heads, wo, bo[0]!);
}

function expectClose(got: Matrix, want: Matrix): void {
  expect(got.length).toBe(want.length);
  for (const [i, row] of got.entries()) {
    for (const [j, v] of row.entries()) expect(v).toBeCloseTo(want[i]![j]!, 5);
  }
}

describe('multiHeadAttention', () => {
  it('computes softmax(q·kᵀ/√d)·v per head, with causal and explicit attention masks, like a direct computation', () => {
    const layer = multiHeadAttention({
      numHeads: 2,
      keyDim: 3,
      valueDim: 2,
      causal: true,
      biasInitializer: 'randomNormal',
    });
    const query = tf.randomNormal([1, 4, 5], 0, 1, 'float32', 1);
    const value = tf.randomNormal([1, 6, 3], 0, 1, 'float32', 2);
    layer.apply([query, value]);
    const attentionMask = tf.tensor3d([
      [
        [1, 1, 0, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
        [0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 0],
      ],
    ]);
    const got = (layer.call([query, value], { attentionMask }) as tf.Tensor).arraySync() as number[][][];
    const mask = attentionMask.arraySync()[0]!;
    const weights = layer
      .getWeights()
      .map((w) => (w.rank === 1 ? [w.arraySync() as number[]] : (w.arraySync() as Matrix)));
    const want = bruteForce(
      (query.arraySync() as Matrix[])[0]!,
      (value.arraySync() as Matrix[])[0]!,
      weights,
      2,
      3,
      (i, j) => j <= i && mask[i]![j] === 1,
    );
    expect(got[0]!.length).toBe(4);
    expectClose(got[0]!, want);
  });

  it('hides padded keys given by an Embedding with maskZero, and passes the query mask on', () => {
    const input = tfl.input({ shape: [4], dtype: 'int32' });
    const embedding = tfl.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true });
    const embedded = embedding.apply(input) as tfl.SymbolicTensor;
    const attention = multiHeadAttention({ numHeads: 2, keyDim: 2 });
    const model = tfl.model({ inputs: input, outputs: attention.apply(embedded) as tfl.SymbolicTensor });
    const padded = model.predict(tf.tensor2d([[3, 1, 0, 0]], [1, 4], 'int32')) as tf.Tensor;
    // The same sequence without its padding, through the same weights and no mask.
    const table = embedding.getWeights()[0]!;
    const unpadded = attention.call(tf.expandDims(tf.gather(table, [3, 1]), 0), {}) as tf.Tensor;
    const firstTwo = tf.slice(padded, [0, 0, 0], [1, 2, 3]).arraySync() as number[][][];
    expectClose(firstTwo[0]!, (unpadded.arraySync() as number[][][])[0]!);
    const queryMask = tf.tensor2d([[1, 1, 0, 0]]);
    expect(attention.computeMask(tf.ones([1, 4, 3]), queryMask)).toBe(queryMask);
  });

  it('serialises: a saved and reloaded model gives the same outputs', async () => {
    const model = tfl.sequential({
      layers: [
        multiHeadAttention({
          inputShape: [3, 4],
          numHeads: 2,
          keyDim: 2,
          outputDim: 3,
          causal: true,
          kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.layers[0] as MultiHeadAttention;
    expect(layer).toBeInstanceOf(MultiHeadAttention);
    expect([layer.numHeads, layer.keyDim, layer.valueDim, layer.outputDim, layer.causal]).toEqual([
      2,
      2,
      2,
      3,
      true,
    ]);
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
    expect((loaded.predict(x) as tf.Tensor).arraySync()).toEqual((model.predict(x) as tf.Tensor).arraySync());
    expect(loaded.trainableWeights.length).toBe(10);
  });

  it('rejects a bad configuration, naming the parameter', () => {
    expect(() => multiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow(/numHeads must be an integer >= 1/);
    expect(() => multiHeadAttention({ numHeads: 2, keyDim: 1.5 })).toThrow(/keyDim must be an integer >= 1/);
    expect(() => multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply(tf.ones([2, 3]))).toThrow(
      /inputs must be/,
    );
  });
});
