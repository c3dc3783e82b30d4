import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from '../../src/wasm-kernels/simd-kernels';
import { expectWasmMatchesCpu } from './kernel-test-utils';

describe.each([
  { path: 'WASM SIMD module', simd: true },
  { path: 'pure JS fallback', simd: false },
])('MaxPool on wasm ($path)', ({ simd }) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    expect(await loadWasmSimdKernels()).toBe(true);
    setWasmSimdKernelsEnabled(simd);
  });

  it('matches the cpu backend on random windows (1x1 windows with strides included), strides, paddings', async () => {
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
            pad: fc.constantFrom<'same' | 'valid' | 0 | 1>('same', 'valid', 0, 1),
            seed: fc.integer({ min: 1, max: 1 << 30 }),
          })
          .filter(
            (c) =>
              c.pad === 'same' || c.pad === 1 || (c.height >= c.filterHeight && c.width >= c.filterWidth),
          )
          // tfjs requires explicit numeric padding to be at most half the window.
          .filter((c) => c.pad !== 1 || (c.filterHeight >= 2 && c.filterWidth >= 2)),
        async (c) => {
          await expectWasmMatchesCpu(
            'MaxPool',
            { x: { shape: [c.batch, c.height, c.width, c.channels], seed: c.seed } },
            {
              filterSize: [c.filterHeight, c.filterWidth],
              strides: [c.strideHeight, c.strideWidth],
              pad: c.pad,
              dimRoundingMode: undefined,
            },
            0,
          );
        },
      ),
      { numRuns: 60, seed: 20261132 },
    );
  });
});
