import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

afterAll(async () => {
  await tf.setBackend('cpu');
});

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/**
 * The engine on the wasm backend against the example-by-example reference computed on the cpu backend (the
 * reference needs Conv2DBackpropFilter, which stock wasm lacks; book-keeping never asks for it).
 */
describe('wasm backend', () => {
  const cases: {
    name: string;
    make: () => tfl.LayersModel;
    x: number[];
    y: number[];
    methods: PerExampleMethod[];
  }[] = [
    {
      name: 'Dense (rank 2 and 3) and LayerNormalization',
      make: () =>
        tfl.sequential({
          layers: [
            tfl.layers.dense({ inputShape: [3, 4], units: 5, activation: 'relu' }),
            tfl.layers.layerNormalization(),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2 }),
          ],
        }),
      x: [6, 3, 4],
      y: [6, 2],
      methods: ['bookkeeping', 'materialized', 'ghost', 'mixed-ghost', 'loop'],
    },
    {
      name: 'Conv2D (stride 2, same and valid) and Conv2DTranspose',
      make: () =>
        tfl.sequential({
          layers: [
            tfl.layers.conv2d({
              inputShape: [7, 7, 2],
              filters: 3,
              kernelSize: 3,
              strides: 2,
              padding: 'same',
              activation: 'relu',
            }),
            tfl.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'valid', activation: 'tanh' }),
            tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2 }),
          ],
        }),
      x: [5, 7, 7, 2],
      y: [5, 2],
      methods: ['bookkeeping', 'materialized'],
    },
    {
      // Stock wasm has no DepthwiseConv2dNativeBackpropInput, so depthwise convolutions come first here (their
      // input gradient is never needed); the training-kernel pack lifts that restriction.
      name: 'SeparableConv2D, Conv1D, and a DepthwiseConv2D first layer',
      make: () =>
        tfl.sequential({
          layers: [
            tfl.layers.separableConv2d({
              inputShape: [6, 6, 2],
              filters: 3,
              kernelSize: 2,
              depthMultiplier: 2,
              activation: 'relu',
            }),
            tfl.layers.reshape({ targetShape: [25, 3] }),
            tfl.layers.conv1d({ filters: 2, kernelSize: 3, strides: 2 }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2 }),
          ],
        }),
      x: [4, 6, 6, 2],
      y: [4, 2],
      methods: ['bookkeeping', 'materialized'],
    },
    {
      name: 'DepthwiseConv2D as first layer',
      make: () =>
        tfl.sequential({
          layers: [
            tfl.layers.depthwiseConv2d({
              inputShape: [5, 5, 2],
              kernelSize: 3,
              depthMultiplier: 2,
              strides: 2,
              padding: 'same',
            }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2 }),
          ],
        }),
      x: [4, 5, 5, 2],
      y: [4, 2],
      methods: ['bookkeeping', 'materialized'],
    },
  ];
  it('Embedding (ghost norms, scatter-add sums) with repeated tokens', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 4 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const x = tf.tensor2d([0, 1, 1, 5, 2, 2, 2, 3, 4, 0, 4, 1], [3, 4]);
    const y = rand([3, 2], 3);
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.1);
    await tf.setBackend('wasm');
    // Not 'ghost': its second pass differentiates the gather, and stock wasm has no UnsortedSegmentSum.
    for (const method of ['bookkeeping', 'materialized'] as const) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        maxGradNorm: 0.1,
        perExampleMethod: method,
      });
      expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
      disposeResult(result);
    }
  });

  for (const c of cases) {
    it(c.name, async () => {
      await tf.setBackend('cpu');
      const model = c.make();
      const x = rand(c.x, 1);
      const y = rand(c.y, 2);
      const reference = referenceClippedSums(model, mseLoss, x, y, 0.2);
      expect(reference.norms.some((n) => n > 0.2)).toBe(true);
      await tf.setBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      for (const method of c.methods) {
        const result = computeClippedGradients({
          model,
          lossFn: mseLoss,
          x,
          y,
          maxGradNorm: 0.2,
          perExampleMethod: method,
        });
        expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
        disposeResult(result);
      }
    });
  }
});
