import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeClippedGradients } from '../src/index';
import { disposeResult, maxRelativeError, mseLoss } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * tfjs cannot differentiate dilated convolutions at all, so the reference here uses an equivalent model: a
 * non-dilated convolution whose kernel is the dilated kernel with zeros inserted. Its per-example kernel gradient,
 * read at the dilated taps (every `dilation`-th entry), is the dilated layer's per-example gradient.
 */
function dilatedReference(
  dilated: tfl.LayersModel,
  expanded: tfl.LayersModel,
  spatialRank: 1 | 2,
  dilation: number,
  x: tf.Tensor,
  y: tf.Tensor,
  maxGradNorm: number,
): Map<string, Float64Array> {
  const names = dilated.trainableWeights.map((v) => v.name);
  const sums = new Map(
    names.map((n, i) => [
      n,
      new Float64Array(dilated.trainableWeights[i]!.shape.reduce((a, b) => a! * b!, 1)!),
    ]),
  );
  for (let i = 0; i < y.shape[0]!; i++) {
    const perVariable = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.sum(mseLoss(tf.slice(y, i, 1), expanded.apply(tf.slice(x, i, 1)) as tf.Tensor)) as tf.Scalar,
        expanded.trainableWeights.map((v) => v.read() as tf.Variable),
      );
      return expanded.trainableWeights.map((v, k) => {
        const g = grads[v.name]!;
        if (k !== 0) return g;
        // Kernel of the first layer: keep the dilated taps only.
        const begin = g.shape.map(() => 0);
        const strides = g.shape.map((_, axis) => (axis < spatialRank ? dilation : 1));
        return tf.stridedSlice(g, begin, g.shape, strides);
      });
    });
    const values = perVariable.map((t) => Float64Array.from(t.dataSync()));
    tf.dispose(perVariable);
    const norm = Math.sqrt(values.reduce((s, v) => s + v.reduce((a, b) => a + b * b, 0), 0));
    const factor = Math.min(1, maxGradNorm / (norm + 1e-6));
    values.forEach((v, k) => {
      const sum = sums.get(names[k]!)!;
      expect(v.length).toBe(sum.length);
      for (let j = 0; j < v.length; j++) sum[j]! += factor * v[j]!;
    });
  }
  return sums;
}

/** Copies weights from the dilated model, inserting zeros between the first kernel's taps. */
function copyExpanded(
  dilated: tfl.LayersModel,
  expanded: tfl.LayersModel,
  spatialRank: 1 | 2,
  dilation: number,
) {
  const weights = dilated.getWeights();
  const kernel = weights[0]!;
  const shape = kernel.shape;
  const big = shape.map((s, axis) => (axis < spatialRank ? (s - 1) * dilation + 1 : s));
  const source = kernel.arraySync();
  const buffer = tf.buffer(big);
  const visit = (value: unknown, index: number[]) => {
    if (Array.isArray(value)) {
      for (const [j, v] of value.entries()) visit(v, [...index, j]);
    } else buffer.set(value as number, ...index.map((v, axis) => (axis < spatialRank ? v * dilation : v)));
  };
  visit(source, []);
  expanded.setWeights([buffer.toTensor(), ...weights.slice(1)]);
}

describe('dilated convolutions (first layer)', () => {
  for (const padding of ['same', 'valid'] as const) {
    it(`Conv2D dilation 2, ${padding} padding, matches the zero-inserted reference`, () => {
      const make = (kernelSize: number, dilationRate: number) =>
        tfl.sequential({
          layers: [
            tfl.layers.conv2d({
              inputShape: [7, 6, 2],
              filters: 3,
              kernelSize,
              dilationRate,
              padding,
              activation: 'tanh',
            }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2 }),
          ],
        });
      const dilated = make(2, 2);
      const expanded = make(3, 1);
      copyExpanded(dilated, expanded, 2, 2);
      const x = tf.randomNormal([5, 7, 6, 2], 0, 1, 'float32', 1);
      const y = tf.randomNormal([5, 2], 0, 1, 'float32', 2);
      const outA = (dilated.predict(x) as tf.Tensor).dataSync();
      const outB = (expanded.predict(x) as tf.Tensor).dataSync();
      for (const [i, v] of outA.entries()) expect(v).toBeCloseTo(outB[i]!, 4);
      const reference = dilatedReference(dilated, expanded, 2, 2, x, y, 0.3);
      for (const method of ['bookkeeping', 'materialized'] as const) {
        const result = computeClippedGradients({
          model: dilated,
          lossFn: mseLoss,
          x,
          y,
          maxGradNorm: 0.3,
          perExampleMethod: method,
        });
        expect(Math.min(...result.clipFactors.dataSync())).toBeLessThan(1);
        expect(maxRelativeError(result.gradients, reference), method).toBeLessThanOrEqual(1e-5);
        disposeResult(result);
      }
    });
  }

  it('Conv1D dilation 3 matches the zero-inserted reference', () => {
    const make = (kernelSize: number, dilationRate: number) =>
      tfl.sequential({
        layers: [
          tfl.layers.conv1d({
            inputShape: [11, 2],
            filters: 3,
            kernelSize,
            dilationRate,
            activation: 'relu',
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 1 }),
        ],
      });
    const dilated = make(3, 3);
    const expanded = make(7, 1);
    copyExpanded(dilated, expanded, 1, 3);
    const x = tf.randomNormal([4, 11, 2], 0, 1, 'float32', 3);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 4);
    const reference = dilatedReference(dilated, expanded, 1, 3, x, y, 0.2);
    const result = computeClippedGradients({ model: dilated, lossFn: mseLoss, x, y, maxGradNorm: 0.2 });
    expect(maxRelativeError(result.gradients, reference)).toBeLessThanOrEqual(1e-5);
    disposeResult(result);
  });
});
