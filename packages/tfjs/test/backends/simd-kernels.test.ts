import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backends/register-wasm-training-kernels';
import {
  loadWasmSimdKernels,
  setWasmSimdKernelsEnabled,
  simdKernelsFor,
  wasmSimdKernelsStatus,
} from '../../src/backends/simd-kernels';
import { asWasmBackend } from '../../src/backends/wasm-internals';
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
});
