import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const methods: PerExampleMethod[] = ['bookkeeping', 'materialized', 'ghost', 'mixed-ghost', 'loop'];

function check(model: tfl.LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, maxGradNorm: number) {
  const reference = referenceClippedSums(model, mseLoss, x, y, maxGradNorm);
  // The threshold must actually bind for some examples, or the test would not exercise clipping.
  expect(reference.norms.some((n) => n > maxGradNorm)).toBe(true);
  for (const method of methods) {
    const result = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x,
      y,
      maxGradNorm,
      perExampleMethod: method,
    });
    const error = maxRelativeError(result.gradients, reference.sums);
    expect(error, `${method} relative error`).toBeLessThanOrEqual(1e-5);
    const norms = result.perExampleNorms.dataSync();
    for (const [i, n] of reference.norms.entries()) expect(norms[i]).toBeCloseTo(n, 3);
    disposeResult(result);
  }
  return reference;
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe('per-example clipped sums match an example-by-example reference (cpu)', () => {
  it('Dense on rank-2 and rank-3 inputs', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3, 4], units: 5, activation: 'tanh' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(model, rand([6, 3, 4], 1), rand([6, 2], 2), 0.3);
  });

  it('Conv2D: strides with same padding, valid padding, channelsFirst', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [7, 6, 2],
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
        tfl.layers.conv2d({ filters: 2, kernelSize: [2, 3], padding: 'valid' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(model, rand([5, 7, 6, 2], 3), rand([5, 2], 4), 0.5);
    const channelsFirst = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [2, 6, 5],
          filters: 3,
          kernelSize: 3,
          dataFormat: 'channelsFirst',
          padding: 'same',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(channelsFirst, rand([4, 2, 6, 5], 5), rand([4, 2], 6), 0.5);
  });

  it('Conv1D with stride, valid and same padding', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv1d({ inputShape: [9, 3], filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }),
        tfl.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'same' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    check(model, rand([5, 9, 3], 7), rand([5, 1], 8), 0.2);
  });

  it('Conv2DTranspose with stride 2, same and valid padding', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2dTranspose({
          inputShape: [3, 4, 2],
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
        }),
        tfl.layers.conv2dTranspose({
          filters: 2,
          kernelSize: 2,
          strides: 2,
          padding: 'valid',
          activation: 'tanh',
        }),
        tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, padding: 'valid' }),
      ],
    });
    check(model, rand([4, 3, 4, 2], 9), rand([4, 14, 18, 1], 10), 0.05);
  });

  it('DepthwiseConv2D and SeparableConv2D', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.depthwiseConv2d({
          inputShape: [6, 6, 2],
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
        }),
        tfl.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 2, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(model, rand([4, 6, 6, 2], 11), rand([4, 2], 12), 0.4);
  });

  // (tfjs-layers 4.22 SeparableConv2D itself fails with channelsFirst: it adds the bias in the wrong layout.)
  it('channelsFirst Conv2DTranspose and DepthwiseConv2D', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2dTranspose({
          inputShape: [2, 3, 4],
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          dataFormat: 'channelsFirst',
        }),
        tfl.layers.depthwiseConv2d({
          kernelSize: 2,
          depthMultiplier: 2,
          dataFormat: 'channelsFirst',
          activation: 'relu',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(model, rand([4, 2, 3, 4], 14), rand([4, 2], 15), 0.3);
  });

  it('LayerNormalization over two axes and over a middle axis, Dense on a rank-4 input', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [2, 3, 4], units: 3, activation: 'relu' }),
        tfl.layers.layerNormalization({ axis: 1 }),
        // A nonlinearity between the normalisations: a LayerNormalization right after another one over other axes
        // would cancel the first one's beta exactly (a zero gradient has no meaningful relative error).
        tfl.layers.dense({ units: 3, activation: 'tanh' }),
        // (tfjs cannot differentiate its own LayerNormalization with center or scale off, so both stay on.)
        tfl.layers.layerNormalization({ axis: [-2, -1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    check(model, rand([5, 2, 3, 4], 16), rand([5, 2], 17), 0.3);
  });

  it('Embedding (repeated tokens) and LayerNormalization', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 7, outputDim: 4, inputLength: 5 }),
        tfl.layers.layerNormalization({ axis: -1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const tokens = tf.tensor2d([0, 1, 1, 6, 2, 3, 3, 3, 0, 5, 6, 6, 1, 2, 2, 4, 4, 0, 1, 1], [4, 5]);
    check(model, tokens, rand([4, 2], 13), 0.3);
  });
});
