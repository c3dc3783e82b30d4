import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerKernelFixes } from '../../src/wasm-kernels/kernel-fixes';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectAllClose, gradientOn, seededValues } from './kernel-test-utils';

/**
 * The backward kernels that the layers the engine supports reach on the wasm backend (through weightless layers
 * and the input gradients between trainable layers), each checked on a batch of 3 against the cpu backend and
 * against example-by-example gradients on wasm: a kernel that mixed the examples of a batch would leak one
 * example's gradient into another's clipped contribution.
 */
const constant = (shape: number[], seed: number) =>
  tf.tensor(
    seededValues(
      shape.reduce((a, b) => a * b),
      seed,
    ),
    shape,
  );

interface Case {
  name: string;
  shape: number[];
  f: (x: tf.Tensor) => tf.Tensor;
  /** Stock wasm lacks the kernel: it must fail loudly rather than compute something. */
  missingInStock?: string;
}

const cases: Case[] = [
  {
    name: 'MaxPoolGrad (maxPooling2d, same)',
    shape: [3, 7, 6, 4],
    f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  {
    name: 'MaxPoolGrad (maxPooling1d)',
    shape: [3, 1, 9, 2],
    f: (x) => tf.maxPool(x as tf.Tensor4D, [1, 2], [1, 2], 'valid'),
  },
  {
    name: 'AvgPoolGrad (averagePooling2d, same)',
    shape: [3, 7, 6, 4],
    f: (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  { name: 'AvgPoolGrad (valid)', shape: [3, 6, 6, 2], f: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  {
    name: 'MaxPool3DGrad (same)',
    shape: [3, 5, 4, 5, 2],
    f: (x) => tf.maxPool3d(x as tf.Tensor5D, [1, 2, 3], [1, 2, 2], 'same'),
  },
  {
    name: 'AvgPool3DGrad (same)',
    shape: [3, 5, 4, 5, 2],
    f: (x) => tf.avgPool3d(x as tf.Tensor5D, 2, 2, 'same'),
  },
  {
    name: 'AvgPool3DGrad (valid, stride 1)',
    shape: [3, 5, 4, 5, 2],
    f: (x) => tf.avgPool3d(x as tf.Tensor5D, 3, 1, 'valid'),
  },
  {
    name: 'ResizeBilinearGrad (upSampling2d bilinear)',
    shape: [3, 4, 4, 2],
    f: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [8, 8]),
  },
  {
    name: 'ResizeNearestNeighborGrad (upSampling2d nearest)',
    shape: [3, 3, 4, 2],
    f: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 8]),
  },
  {
    name: 'Conv2DBackpropInput (stride 2)',
    shape: [3, 7, 8, 2],
    f: (x) => tf.conv2d(x as tf.Tensor4D, constant([3, 3, 2, 4], 1) as tf.Tensor4D, 2, 'same'),
  },
  {
    name: 'Conv2D (conv2dTranspose input gradient)',
    shape: [3, 4, 4, 2],
    f: (x) =>
      tf.conv2dTranspose(
        x as tf.Tensor4D,
        constant([3, 3, 4, 2], 1) as tf.Tensor4D,
        [x.shape[0]!, 8, 8, 4],
        2,
        'same',
      ),
  },
  {
    name: 'DepthwiseConv2dNativeBackpropInput (depthwise and separable)',
    shape: [3, 7, 8, 2],
    f: (x) => tf.depthwiseConv2d(x as tf.Tensor4D, constant([3, 3, 2, 2], 1) as tf.Tensor4D, 2, 'same'),
    missingInStock: 'DepthwiseConv2dNativeBackpropInput',
  },
  {
    name: 'Conv3DBackpropInputV2 (stride 2)',
    shape: [3, 5, 6, 5, 2],
    f: (x) => tf.conv3d(x as tf.Tensor5D, constant([2, 3, 2, 2, 3], 1) as tf.Tensor5D, 2, 'same'),
  },
  { name: 'EluGrad', shape: [3, 10], f: (x) => tf.elu(x) },
  {
    name: 'Selu, Relu6, LeakyRelu, Prelu',
    shape: [3, 10],
    f: (x) =>
      tf.add(
        tf.add(tf.selu(x), tf.relu6(tf.mul(x, 8))),
        tf.add(tf.leakyRelu(x, 0.2), tf.prelu(x, constant([10], 2))),
      ),
  },
  { name: 'Softmax and LogSoftmax', shape: [3, 10], f: (x) => tf.add(tf.softmax(x), tf.logSoftmax(x)) },
  {
    name: 'Max and Mean (global pooling)',
    shape: [3, 4, 5, 2],
    f: (x) => tf.add(tf.max(x, [1, 2]), tf.mean(x, [1, 2])),
  },
  {
    name: 'Pad, Slice, Tile, Reverse (padding, cropping)',
    shape: [3, 4, 5, 2],
    f: (x) =>
      tf.add(
        tf.slice(
          tf.pad(x, [
            [0, 0],
            [1, 2],
            [2, 1],
            [0, 0],
          ]),
          [0, 1, 1, 0],
          [-1, 4, 5, 2],
        ),
        tf.reverse(tf.slice(tf.tile(x, [1, 2, 1, 1]), [0, 2, 0, 0], [-1, 4, 5, 2]), 1),
      ),
  },
  { name: 'Sigmoid and Tanh (recurrent cells)', shape: [3, 10], f: (x) => tf.mul(tf.sigmoid(x), tf.tanh(x)) },
  { name: 'BatchMatMul (attention)', shape: [3, 4, 5], f: (x) => tf.matMul(x, constant([1, 5, 2], 1)) },
];

/** The gradient of example b of the batch, computed from that example alone (on wasm). */
async function exampleByExample(c: Case): Promise<Float32Array> {
  const [batch, ...rest] = c.shape as [number, ...number[]];
  const size = rest.reduce((a, b) => a * b, 1);
  const x = seededValues(batch * size, 3);
  await tf.setBackend('wasm');
  return tf.tidy(() => {
    const xt = tf.tensor(x, c.shape);
    const outShape = c.f(xt).shape;
    const dy = tf.tensor(
      seededValues(
        outShape.reduce((a, b) => a * b),
        5,
      ),
      outShape,
    );
    const out = new Float32Array(batch * size);
    for (let b = 0; b < batch; b++) {
      const xb = tf.slice(xt, b, 1);
      const dyb = tf.slice(dy, b, 1);
      const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(c.f(input), dyb)))(xb);
      out.set(g.dataSync(), b * size);
    }
    return out;
  });
}

describe.each([
  { setup: 'stock wasm with registerKernelFixes (the engine without the pack)', pack: false },
  { setup: 'the full training-kernel pack', pack: true },
])('backward kernels of the supported layers on wasm: $setup', ({ pack }) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
    registerWasmTrainingKernels();
  });

  for (const c of cases) {
    it(`${c.name}: matches cpu and the example-by-example gradients, batch of 3`, async () => {
      await tf.setBackend('wasm');
      unregisterWasmTrainingKernels();
      if (pack) registerWasmTrainingKernels();
      registerKernelFixes();
      if (!pack && c.missingInStock !== undefined) {
        await expect(gradientOn('wasm', c.f, { shape: c.shape, seed: 3 }, 5)).rejects.toThrow(
          c.missingInStock,
        );
        return;
      }
      const wasm = await gradientOn('wasm', c.f, { shape: c.shape, seed: 3 }, 5);
      const cpu = await gradientOn('cpu', c.f, { shape: c.shape, seed: 3 }, 5);
      expect(wasm.shape).toEqual(cpu.shape);
      expectAllClose(wasm.values, cpu.values, 1e-5);
      expectAllClose(wasm.values, await exampleByExample(c), 1e-5);
    });
  }
});
