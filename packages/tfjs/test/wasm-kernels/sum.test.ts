import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from '../../src/wasm-kernels/simd-kernels';
import { expectWasmMatchesCpu } from './kernel-test-utils';

describe.each([
  { path: 'WASM SIMD module', simd: true },
  { path: 'pure JS fallback', simd: false },
])('Sum on wasm ($path)', ({ simd }) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    expect(await loadWasmSimdKernels()).toBe(true);
    setWasmSimdKernelsEnabled(simd);
  });

  it('matches the cpu backend on random shapes and axes (leading-axis fast path and stock delegation)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: -4, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1 << 30 }),
        async (shape, rawAxes, keepDims, seed) => {
          const rank = shape.length;
          const axes = [...new Set(rawAxes.map((a) => ((a % rank) + rank) % rank))];
          await expectWasmMatchesCpu('Sum', { x: { shape, seed } }, { axis: axes, keepDims }, 1e-6);
        },
      ),
      { numRuns: 60, seed: 20261127 },
    );
  });

  it('matches cpu on a bias-gradient-shaped reduction', async () => {
    await expectWasmMatchesCpu(
      'Sum',
      { x: { shape: [16, 7, 7, 12], seed: 3 } },
      { axis: [0, 1, 2], keepDims: false },
    );
  });
});
