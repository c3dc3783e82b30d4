import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from '../../src/wasm-kernels/simd-kernels';
import { expectAllClose, expectWasmMatchesCpu, gradientOn } from './kernel-test-utils';

describe.each([
  { path: 'WASM SIMD module', simd: true },
  { path: 'pure JS fallback', simd: false },
])('MaxPoolGrad on wasm ($path)', ({ simd }) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    expect(await loadWasmSimdKernels()).toBe(true);
    setWasmSimdKernelsEnabled(simd);
  });

  // Called as a kernel: the stock wasm MaxPool forward (XNNPACK) corrupts the heap on some window shapes
  // (1x1 windows with stride > 1, for example), so random cases do not go through tf.maxPool.
  it('matches the cpu backend on random shapes, windows, strides, paddings and ties', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            batch: fc.integer({ min: 1, max: 3 }),
            height: fc.integer({ min: 1, max: 9 }),
            width: fc.integer({ min: 1, max: 9 }),
            channels: fc.integer({ min: 1, max: 5 }),
            filterHeight: fc.integer({ min: 1, max: 3 }),
            filterWidth: fc.integer({ min: 1, max: 3 }),
            strideHeight: fc.integer({ min: 1, max: 3 }),
            strideWidth: fc.integer({ min: 1, max: 3 }),
            pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1),
            levels: fc.constantFrom(2, 1000),
            seed: fc.integer({ min: 1, max: 1 << 30 }),
          })
          .filter(
            (c) =>
              (c.pad !== 'valid' && c.pad !== 0) || (c.height >= c.filterHeight && c.width >= c.filterWidth),
          )
          // tfjs requires explicit numeric padding to be at most half the window.
          .filter((c) => c.pad !== 1 || (c.filterHeight >= 2 && c.filterWidth >= 2)),
        async (c) => {
          const xShape = [c.batch, c.height, c.width, c.channels] as [number, number, number, number];
          const filterSize: [number, number] = [c.filterHeight, c.filterWidth];
          const strides: [number, number] = [c.strideHeight, c.strideWidth];
          const outShape = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, c.pad).outShape;
          fc.pre(outShape.every((d) => d > 0));
          await expectWasmMatchesCpu(
            'MaxPoolGrad',
            {
              dy: { shape: outShape, seed: c.seed + 1 },
              input: { shape: xShape, seed: c.seed, levels: c.levels },
              // Neither kernel reads the forward output; it is an input of the kernel signature only.
              output: { shape: outShape, seed: c.seed + 2 },
            },
            { filterSize, strides, pad: c.pad, dimRoundingMode: undefined },
            1e-6,
          );
        },
      ),
      { numRuns: 60, seed: 20261125 },
    );
  });

  it('gives the same gradient as cpu through tf.grad of the benchmark pooling (2x2, stride 2, with ties)', async () => {
    const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
    const xSpec = { shape: [3, 7, 6, 5], seed: 9, levels: 2 };
    const wasm = await gradientOn('wasm', pool, xSpec, 10);
    const cpu = await gradientOn('cpu', pool, xSpec, 10);
    expect(wasm.shape).toEqual(cpu.shape);
    expectAllClose(wasm.values, cpu.values, 1e-6);
  });
});
