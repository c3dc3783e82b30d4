import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelNames,
} from '../../src/wasm-kernels/register-wasm-training-kernels';
import './kernel-test-utils';

describe('registerWasmTrainingKernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('adds Conv2DBackpropFilter, is idempotent, and unregistering restores the stock kernels', () => {
    const stock = new Map(wasmTrainingKernelNames().map((name) => [name, tf.getKernel(name, 'wasm')]));
    expect(stock.get('Conv2DBackpropFilter')).toBeUndefined();

    const first = registerWasmTrainingKernels();
    expect(first).toEqual(wasmTrainingKernelNames());
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(registerWasmTrainingKernels()).toEqual([]);

    expect(unregisterWasmTrainingKernels()).toEqual(wasmTrainingKernelNames());
    for (const [name, config] of stock) {
      expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBe(config?.kernelFunc);
    }
    expect(unregisterWasmTrainingKernels()).toEqual([]);
    expect(registerWasmTrainingKernels()).toEqual(wasmTrainingKernelNames());
  });

  it('rejects kernel names outside the pack', () => {
    expect(() => registerWasmTrainingKernels({ kernels: ['Conv3D'] })).toThrow(RangeError);
    expect(() => registerWasmTrainingKernels({ kernels: ['Conv3D'] })).toThrow(/Conv2DBackpropFilter/);
  });

  it('rejects a non-wasm backend instance with a clear error', async () => {
    const { conv2DBackpropFilterWasm } = await import('../../src/wasm-kernels/conv2d-backprop-filter');
    await tf.setBackend('cpu');
    const x = tf.zeros([1, 2, 2, 1]);
    expect(() =>
      conv2DBackpropFilterWasm({
        inputs: { x, dy: x },
        backend: tf.backend(),
        attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 1, 1, 1] },
      }),
    ).toThrow(/wasm backend/);
    x.dispose();
  });
});
