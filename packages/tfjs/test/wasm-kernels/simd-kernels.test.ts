import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import {
  loadWasmSimdKernels,
  setWasmSimdKernelsEnabled,
  simdKernelsFor,
  wasmSimdKernelsStatus,
} from '../../src/wasm-kernels/simd-kernels';
import { asWasmBackend, heapOffset } from '../../src/wasm-kernels/wasm-internals';
import { seededValues } from './kernel-test-utils';

describe('WASM SIMD training kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(() => setWasmSimdKernelsEnabled(true));

  it('load in Node 20 (WASM SIMD available), bind to the backend memory, and can be disabled', async () => {
    expect(await loadWasmSimdKernels()).toBe(true);
    expect(await loadWasmSimdKernels()).toBe(true);
    expect(wasmSimdKernelsStatus()).toEqual({ loaded: true, enabled: true });
    const backend = asWasmBackend(tf.backend());
    const kernels = simdKernelsFor(backend);
    expect(typeof kernels?.conv2d_backprop_filter).toBe('function');
    expect(simdKernelsFor(backend)).toBe(kernels);
    setWasmSimdKernelsEnabled(false);
    expect(simdKernelsFor(backend)).toBeUndefined();
    expect(wasmSimdKernelsStatus().enabled).toBe(false);
    setWasmSimdKernelsEnabled(true);
  });

  it('write only their outputs: tensors allocated around the call keep their values', async () => {
    await loadWasmSimdKernels();
    setWasmSimdKernelsEnabled(true);
    const before = seededValues(4096, 1);
    const sentinelBefore = tf.tensor1d(before);
    const x = tf.tensor4d(seededValues(2 * 9 * 9 * 5, 2), [2, 9, 9, 5]);
    const sentinelBetween = tf.tensor1d(before);
    const grads = tf.grads((input: tf.Tensor, filter: tf.Tensor) =>
      tf.sum(tf.maxPool(tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'), 2, 2, 'valid')),
    )([x, tf.tensor4d(seededValues(3 * 3 * 5 * 7, 3), [3, 3, 5, 7])]);
    const sentinelAfter = tf.tensor1d(before);
    for (const sentinel of [sentinelBefore, sentinelBetween, sentinelAfter]) {
      expect(Array.from(sentinel.dataSync())).toEqual(Array.from(before));
    }
    expect(grads.every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
    tf.dispose([sentinelBefore, sentinelBetween, sentinelAfter, x, ...grads]);
  });

  it('conv2d_backprop_filter matches a direct sum for any stride, dilation and padding', async () => {
    expect(await loadWasmSimdKernels()).toBe(true);
    const backend = asWasmBackend(tf.backend());
    const kernels = simdKernelsFor(backend)!;
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          inH: fc.integer({ min: 1, max: 7 }),
          inW: fc.integer({ min: 1, max: 7 }),
          inC: fc.integer({ min: 1, max: 9 }),
          outC: fc.integer({ min: 1, max: 11 }),
          fh: fc.integer({ min: 1, max: 3 }),
          fw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          dh: fc.integer({ min: 1, max: 3 }),
          dw: fc.integer({ min: 1, max: 3 }),
          pt: fc.integer({ min: 0, max: 3 }),
          pl: fc.integer({ min: 0, max: 3 }),
          outH: fc.integer({ min: 1, max: 5 }),
          outW: fc.integer({ min: 1, max: 5 }),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        (c) => {
          const xValues = seededValues(c.batch * c.inH * c.inW * c.inC, c.seed);
          const dyValues = seededValues(c.batch * c.outH * c.outW * c.outC, c.seed + 1);
          const expected = new Float64Array(c.fh * c.fw * c.inC * c.outC);
          for (let b = 0; b < c.batch; b++)
            for (let oh = 0; oh < c.outH; oh++)
              for (let ow = 0; ow < c.outW; ow++)
                for (let kh = 0; kh < c.fh; kh++)
                  for (let kw = 0; kw < c.fw; kw++) {
                    const ih = oh * c.sh + kh * c.dh - c.pt;
                    const iw = ow * c.sw + kw * c.dw - c.pl;
                    if (ih < 0 || ih >= c.inH || iw < 0 || iw >= c.inW) continue;
                    for (let ci = 0; ci < c.inC; ci++)
                      for (let co = 0; co < c.outC; co++) {
                        expected[((kh * c.fw + kw) * c.inC + ci) * c.outC + co]! +=
                          xValues[((b * c.inH + ih) * c.inW + iw) * c.inC + ci]! *
                          dyValues[((b * c.outH + oh) * c.outW + ow) * c.outC + co]!;
                      }
                  }
          const x = tf.tensor1d(xValues);
          const dy = tf.tensor1d(dyValues);
          const dw = tf.zeros([expected.length]);
          kernels.conv2d_backprop_filter(
            heapOffset(backend, x),
            heapOffset(backend, dy),
            heapOffset(backend, dw),
            c.batch,
            c.inH,
            c.inW,
            c.inC,
            c.outH,
            c.outW,
            c.outC,
            c.fh,
            c.fw,
            c.sh,
            c.sw,
            c.dh,
            c.dw,
            c.pt,
            c.pl,
          );
          const actual = dw.dataSync();
          for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
          tf.dispose([x, dy, dw]);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });
});
