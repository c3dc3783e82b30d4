import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectAllClose, seededValues } from './kernel-test-utils';

describe('_FusedMatMul on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('matches the cpu backend with transposes, bias and activations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 30 }),
          inner: fc.integer({ min: 1, max: 30 }),
          cols: fc.integer({ min: 1, max: 30 }),
          transposeA: fc.boolean(),
          transposeB: fc.boolean(),
          withBias: fc.boolean(),
          activation: fc.constantFrom<'linear' | 'relu' | 'relu6'>('linear', 'relu', 'relu6'),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        async (c) => {
          const aShape = c.transposeA ? [c.inner, c.rows] : [c.rows, c.inner];
          const bShape = c.transposeB ? [c.cols, c.inner] : [c.inner, c.cols];
          const aValues = seededValues(c.rows * c.inner, c.seed);
          const bValues = seededValues(c.inner * c.cols, c.seed + 1);
          const biasValues = seededValues(c.cols, c.seed + 2);
          const run = async (backendName: 'cpu' | 'wasm') => {
            await tf.setBackend(backendName);
            return tf.tidy(() => {
              const out = tf.fused.matMul({
                a: tf.tensor2d(aValues, aShape as [number, number]),
                b: tf.tensor2d(bValues, bShape as [number, number]),
                transposeA: c.transposeA,
                transposeB: c.transposeB,
                ...(c.withBias ? { bias: tf.tensor1d(biasValues) } : {}),
                activation: c.activation,
              });
              return out.dataSync() as Float32Array;
            });
          };
          const wasm = await run('wasm');
          const cpu = await run('cpu');
          expectAllClose(wasm, cpu, 1e-5);
        },
      ),
      { numRuns: 40, seed: 20261131 },
    );
  });

  it('stays correct when the same data is the right operand under two shapes', async () => {
    await tf.setBackend('wasm');
    const [first, second] = tf.tidy(() => {
      const b = tf.range(0, 24, 1, 'float32');
      const p1 = tf.fused.matMul({ a: tf.ones([1, 6]), b: tf.reshape(b, [6, 4]) });
      const p2 = tf.fused.matMul({ a: tf.ones([1, 3]), b: tf.reshape(b, [3, 8]) });
      return [p1.arraySync(), p2.arraySync()];
    });
    expect(first).toEqual([[60, 66, 72, 78]]);
    expect(second).toEqual([[24, 27, 30, 33, 36, 39, 42, 45]]);
  });
});
