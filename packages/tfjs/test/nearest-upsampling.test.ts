import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  computeClippedGradients,
  type PerExampleMethod,
  registerResizeNearestNeighborGradFix,
} from '../src/index';
import { disposeResult, maxRelativeError, referenceClippedSums } from './reference';

afterAll(async () => {
  await tf.setBackend('cpu');
});

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** A small U-Net whose decoder upsamples by nearest neighbour (the stock cpu gradient mixes the batch there). */
function nearestUNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 1] });
  const e1 = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input) as tfl.SymbolicTensor;
  const down = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
    .apply(e1) as tfl.SymbolicTensor;
  const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(down) as tfl.SymbolicTensor;
  const up1 = tfl.layers
    .upSampling2d({ size: [2, 2], interpolation: 'nearest' })
    .apply(pooled) as tfl.SymbolicTensor;
  const mid = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(up1) as tfl.SymbolicTensor;
  const up2 = tfl.layers
    .upSampling2d({ size: [2, 2], interpolation: 'nearest' })
    .apply(mid) as tfl.SymbolicTensor;
  const skip = tfl.layers.concatenate().apply([up2, e1]) as tfl.SymbolicTensor;
  const output = tfl.layers
    .conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' })
    .apply(skip) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

const perPixelBce = (yTrue: tf.Tensor, yPred: tf.Tensor) => {
  const p = tf.clipByValue(yPred, 1e-6, 1 - 1e-6);
  const bce = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
  return tf.mean(bce, [1, 2, 3]);
};

describe("upSampling2d({ interpolation: 'nearest' }) against the example-by-example reference", () => {
  const cases: { backend: string; methods: PerExampleMethod[] }[] = [
    { backend: 'cpu', methods: ['bookkeeping', 'materialized', 'ghost', 'mixed-ghost'] },
    // Stock wasm has no Conv2DBackpropFilter, which the second pass of ghost clipping needs.
    { backend: 'wasm', methods: ['bookkeeping', 'materialized'] },
  ];
  for (const { backend, methods } of cases) {
    it(`clipped sums on a small U-Net on ${backend}, relative error <= 1e-5`, async () => {
      await tf.setBackend('cpu');
      const model = nearestUNet();
      const x = rand([5, 8, 8, 1], 8);
      const y = tf.cast(tf.greater(rand([5, 8, 8, 1], 9), 0), 'float32');
      // One plain backward pass per example: a batch of one cannot be mixed.
      const reference = referenceClippedSums(model, perPixelBce, x, y, 0.05);
      expect(reference.norms.some((n) => n > 0.05)).toBe(true);
      await tf.setBackend(backend);
      for (const method of methods) {
        const result = computeClippedGradients({
          model,
          lossFn: perPixelBce,
          x,
          y,
          maxGradNorm: 0.05,
          perExampleMethod: method,
        });
        expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
        disposeResult(result);
      }
    });
  }

  it('the ordinary batched gradient (non-private training) equals the sum of per-example gradients on cpu', async () => {
    await tf.setBackend('cpu');
    const model = nearestUNet();
    const x = rand([4, 8, 8, 1], 10);
    const y = tf.cast(tf.greater(rand([4, 8, 8, 1], 11), 0), 'float32');
    // Large clip: nothing is clipped, so the reference sums are the plain per-example gradient sums.
    const reference = referenceClippedSums(model, perPixelBce, x, y, 1e9);
    // The engine registers the fix on first use; non-private training registers it itself.
    registerResizeNearestNeighborGradFix();
    const { grads } = tf.variableGrads(
      () => tf.sum(perPixelBce(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      model.trainableWeights.map((v) => v.read() as tf.Variable),
    );
    const batched = new Map(Object.entries(grads).map(([name, t]) => [name, t as tf.Tensor]));
    expect(maxRelativeError(batched, reference.sums)).toBeLessThanOrEqual(1e-5);
    tf.dispose(Object.values(grads));
  });
});
