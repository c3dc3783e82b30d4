import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from './simd-kernels';
import {
  asWasmBackend,
  heapF32,
  heapOffset,
  readableRecord,
  tensorRecord,
  type WasmBackendInternals,
} from './wasm-internals';

/** A stand-in for the wasm backend's internals: one heap and one record per data id. */
function fakeBackend(records: [object, { memoryOffset: number; shape: number[]; dtype: string }][]) {
  const heap = new Float32Array(16).map((_, i) => i + 0.5);
  return {
    wasm: { HEAPU8: new Uint8Array(heap.buffer) },
    dataIdMap: new Map(records.map(([id, r]) => [id, { id: 0, refCount: 1, ...r }])),
    makeOutput: () => {
      throw new Error('not used');
    },
  } as unknown as WasmBackendInternals;
}

describe('wasm internals', () => {
  it('views a float32 tensor on the heap at its offset', () => {
    const dataId = {};
    const backend = fakeBackend([[dataId, { memoryOffset: 8, shape: [2, 2], dtype: 'float32' }]]);
    const info: TensorInfo = { dataId, shape: [2, 2], dtype: 'float32' };
    expect(Array.from(heapF32(backend, info))).toEqual([2.5, 3.5, 4.5, 5.5]);
    expect(heapOffset(backend, info)).toBe(8);
  });

  it('refuses float32 reads of data the heap stores as int32 (a cpu cast that shares its input)', () => {
    const dataId = {};
    const backend = fakeBackend([[dataId, { memoryOffset: 0, shape: [3], dtype: 'int32' }]]);
    const asFloat: TensorInfo = { dataId, shape: [3], dtype: 'float32' };
    expect(() => heapF32(backend, asFloat)).toThrow(/float32 tensor is stored as int32.*selectBackend/);
    expect(() => heapOffset(backend, asFloat)).toThrow(/stored as int32/);
    // The raw record stays available to kernels that hand such tensors to the stock kernel.
    expect(tensorRecord(backend, asFloat).dtype).toBe('int32');
    expect(readableRecord(backend, { dataId, shape: [3], dtype: 'int32' }).memoryOffset).toBe(0);
    expect(() => heapF32(backend, { dataId, shape: [3], dtype: 'int32' })).toThrow(
      /expected a float32 tensor/,
    );
  });

  describe('on the real backends', () => {
    afterAll(async () => {
      setWasmSimdKernelsEnabled(true);
      await tf.setBackend('cpu');
    });

    it.each([true, false])(
      'a pack kernel refuses a cpu int32→float32 cast moved to wasm (SIMD module: %s) instead of reading garbage',
      async (simd) => {
        await tf.setBackend('cpu');
        const cast = tf.cast(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 'float32');
        await tf.setBackend('wasm');
        registerWasmTrainingKernels();
        expect(await loadWasmSimdKernels()).toBe(true);
        setWasmSimdKernelsEnabled(simd);
        // Sum over the leading axis is the pack's own path (the stock kernel handles the other axes).
        expect(() => tf.sum(cast, 0)).toThrow(/float32 tensor is stored as int32/);
        const copied = tf.tensor(cast.dataSync(), cast.shape, 'float32');
        expect(Array.from(tf.sum(copied, 0).dataSync())).toEqual([9, 12]);
        tf.dispose([cast, copied]);
      },
    );
  });

  it('names a tensor that is not on the backend, and a backend that is not wasm', () => {
    const backend = fakeBackend([]);
    expect(() => tensorRecord(backend, { dataId: {}, shape: [1], dtype: 'float32' })).toThrow(
      /not on the wasm backend/,
    );
    expect(() => asWasmBackend({})).toThrow(/tfjs-backend-wasm backend instance/);
    expect(asWasmBackend(backend)).toBe(backend);
  });
});
