import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { transposeLastTwo } from '../../src/wasm-kernels/batch-mat-mul';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectWasmMatchesCpu, seededValues } from './kernel-test-utils';

describe('BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('matches the cpu backend on random shapes, transpose flags and broadcast batch axes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 40 }),
          inner: fc.integer({ min: 1, max: 40 }),
          cols: fc.integer({ min: 1, max: 40 }),
          outer: fc.constantFrom<[number[], number[]]>(
            [[], []],
            [[3], [3]],
            [[1], [4]],
            [[2], []],
            [
              [2, 1],
              [1, 3],
            ],
            [[2, 3], [3]],
          ),
          transposeA: fc.boolean(),
          transposeB: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        async (c) => {
          const [aOuter, bOuter] = c.outer;
          const aShape = [...aOuter, ...(c.transposeA ? [c.inner, c.rows] : [c.rows, c.inner])];
          const bShape = [...bOuter, ...(c.transposeB ? [c.cols, c.inner] : [c.inner, c.cols])];
          await expectWasmMatchesCpu(
            'BatchMatMul',
            { a: { shape: aShape, seed: c.seed }, b: { shape: bShape, seed: c.seed + 1 } },
            { transposeA: c.transposeA, transposeB: c.transposeB },
          );
        },
      ),
      { numRuns: 60, seed: 20261126 },
    );
  });

  it('matches cpu on batched products large enough to be split into XNNPACK calls', async () => {
    await expectWasmMatchesCpu(
      'BatchMatMul',
      { a: { shape: [3, 40, 33], seed: 1 }, b: { shape: [3, 50, 33], seed: 2 } },
      { transposeA: false, transposeB: true },
    );
  });

  it('stays correct when the same data is the right operand under two shapes (stock wasm returns garbage)', async () => {
    await tf.setBackend('wasm');
    const [first, second] = tf.tidy(() => {
      const b = tf.range(0, 24, 1, 'float32');
      const p1 = tf.matMul(tf.ones([2, 6]), tf.reshape(b, [6, 4]));
      const p2 = tf.matMul(tf.ones([2, 3]), tf.reshape(b, [3, 8]));
      return [p1.arraySync(), p2.arraySync()];
    });
    expect(first).toEqual([
      [60, 66, 72, 78],
      [60, 66, 72, 78],
    ]);
    expect(second).toEqual([
      [24, 27, 30, 33, 36, 39, 42, 45],
      [24, 27, 30, 33, 36, 39, 42, 45],
    ]);
  });

  it('transposeLastTwo transposes every matrix of a batch', () => {
    const src = seededValues(2 * 37 * 45, 3);
    const dst = new Float32Array(src.length);
    transposeLastTwo(src, dst, 2, 37, 45);
    for (let b = 0; b < 2; b++) {
      for (let r = 0; r < 37; r++) {
        for (let c = 0; c < 45; c++) {
          expect(dst[b * 37 * 45 + c * 37 + r]).toBe(src[b * 37 * 45 + r * 45 + c]);
        }
      }
    }
  });
});
