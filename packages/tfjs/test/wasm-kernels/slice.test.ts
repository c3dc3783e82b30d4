import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectWasmMatchesCpu, seededValues } from './kernel-test-utils';

const shapeArbitrary = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 });

/** Outputs of a multi-output kernel on one backend. */
async function outputsOn(
  backend: 'cpu' | 'wasm',
  name: string,
  x: tf.Tensor | (() => tf.Tensor),
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: number[] }[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const input = typeof x === 'function' ? x() : x;
    const outs = tf.engine().runKernel(name, { [name === 'Unpack' ? 'value' : 'x']: input }, attrs as never);
    return (outs as tf.Tensor[]).map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  });
}

describe('Slice, Unpack and SplitV on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Slice matches the cpu backend on random shapes and boxes (float32, int32, bool)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArbitrary,
        // Integers, not doubles: fast-check's doubles cluster at 0 and 1 (whole axes).
        fc.array(
          fc.integer({ min: 0, max: 999 }).map((n) => n / 1000),
          { minLength: 10, maxLength: 10 },
        ),
        fc.constantFrom<'float32' | 'int32' | 'bool'>('float32', 'int32', 'bool'),
        fc.integer({ min: 1, max: 1 << 30 }),
        async (shape, fractions, dtype, seed) => {
          const begin = shape.map((d, a) => Math.floor(fractions[a]! * d));
          // Mostly non-empty boxes (-1: to the end; 0 once in a while).
          const size = shape.map((d, a) => {
            const f = fractions[5 + a]!;
            if (f > 0.9) return -1;
            if (f < 0.05) return 0;
            return 1 + Math.floor(f * (d - begin[a]! - 1));
          });
          const values = seededValues(
            shape.reduce((p, q) => p * q, 1),
            seed,
          ).map((v) => (dtype === 'float32' ? v : Math.round(v * 3)));
          const make = () =>
            dtype === 'bool'
              ? tf.tensor(
                  Array.from(values, (v) => v !== 0),
                  shape,
                  'bool',
                )
              : tf.tensor(values, shape, dtype);
          const run = async (backend: 'cpu' | 'wasm') => {
            await tf.setBackend(backend);
            return tf.tidy(() => {
              const out = tf.slice(make(), begin, size);
              return { shape: out.shape, values: Array.from(out.dataSync()) };
            });
          };
          expect(await run('wasm')).toEqual(await run('cpu'));
        },
      ),
      { numRuns: 80, seed: 20261207 },
    );
  });

  it('Unpack and SplitV match the cpu backend along every axis', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArbitrary,
        fc.nat(),
        fc.integer({ min: 1, max: 1 << 30 }),
        async (shape, pick, seed) => {
          const axis = pick % shape.length;
          const x = () =>
            tf.tensor(
              seededValues(
                shape.reduce((p, q) => p * q, 1),
                seed,
              ),
              shape,
            );
          expect(await outputsOn('wasm', 'Unpack', x, { axis })).toEqual(
            await outputsOn('cpu', 'Unpack', x, { axis }),
          );
          const first = Math.floor(shape[axis]! / 2);
          const splits = [first, shape[axis]! - first];
          expect(
            await outputsOn('wasm', 'SplitV', x, { numOrSizeSplits: splits, axis: axis - shape.length }),
          ).toEqual(
            await outputsOn('cpu', 'SplitV', x, { numOrSizeSplits: splits, axis: axis - shape.length }),
          );
        },
      ),
      { numRuns: 60, seed: 20261208 },
    );
  });

  it('Slice of a string tensor goes to the stock kernel', async () => {
    await tf.setBackend('wasm');
    const out = tf.tidy(() => tf.slice(tf.tensor(['a', 'b', 'c', 'd'], [2, 2]), [1, 0], [1, 2]).arraySync());
    expect(out).toEqual([['c', 'd']]);
    await expectWasmMatchesCpu(
      'Slice',
      { x: { shape: [4, 3], seed: 2 } },
      { begin: [1, 1], size: [2, -1] },
      0,
    );
  });

  it('Slice reads a float32 tensor whose data was cast from int32 on cpu and moved to wasm (shared data)', async () => {
    // The cpu backend's int32 → float32 cast shares its input's data; moved to wasm, the heap holds int32.
    await tf.setBackend('cpu');
    const labels = tf.cast(tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 4), 'float32');
    const expected = tf.slice(labels, [1, 0], [1, -1]).arraySync();
    await tf.setBackend('wasm');
    const rows = tf.tidy(() => [
      tf.slice(labels, [1, 0], [1, -1]).arraySync(),
      tf.unstack(labels)[2]!.arraySync(),
    ]);
    expect(rows[0]).toEqual(expected);
    expect(rows[0]).toEqual([[1, 0, 0, 0]]);
    expect(rows[1]).toEqual([0, 1, 0, 0]);
    labels.dispose();
  });
});
