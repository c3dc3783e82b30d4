import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { wasmTrainingKernelNames } from '../../src/backends/register-wasm-training-kernels';
import { registerResizeNearestNeighborGradFix } from '../../src/backends/resize-nearest-neighbor-grad';
import { selectBackend } from '../../src/backends/select-backend';

/** Puts a stand-in for the stock (wrong) nearest-neighbour resize gradient on `backend`. */
function standInStockResizeGrad(backend: string): void {
  if (tf.getKernel('ResizeNearestNeighborGrad', backend) !== undefined) {
    tf.unregisterKernel('ResizeNearestNeighborGrad', backend);
  }
  tf.registerKernel({
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: backend,
    kernelFunc: () => {
      throw new Error('stock kernel');
    },
  });
}

const realImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

describe('selectBackend', () => {
  afterEach(() => {
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
  });

  it('falls back to wasm with the kernel pack when tfjs-node is not installed (as on this machine)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    standInStockResizeGrad('wasm');
    const selection = await selectBackend();
    expect(selection.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(selection.packageName).toBe('@tensorflow/tfjs-backend-wasm');
    expect(selection.registeredKernels).toEqual(wasmTrainingKernelNames());
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // selectBackend replaced the stand-in: registering again has nothing to do on wasm.
    expect(registerResizeNearestNeighborGradFix()).not.toContain('wasm');
    expect(selection.attempts[0]?.backend).toBe('tensorflow');
    expect(selection.attempts[0]?.ok).toBe(false);
    expect(selection.attempts[0]?.reason).toMatch(/@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/);
  });

  it('activates cpu when preferred, trying nothing else', async () => {
    standInStockResizeGrad('cpu');
    const selection = await selectBackend({ preferred: 'cpu' });
    expect(selection).toMatchObject({ backend: 'cpu', attempts: [{ backend: 'cpu', ok: true }] });
    expect(tf.getBackend()).toBe('cpu');
    expect(registerResizeNearestNeighborGradFix()).not.toContain('cpu');
  });

  it('uses the native backend when a tfjs-node package loads and registers it', async () => {
    const importModule = async (specifier: string) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') throw new Error(`Cannot find package '${specifier}'`);
      if (specifier === '@tensorflow/tfjs-node') {
        // Stand-in for tfjs-node's side effect of registering the 'tensorflow' backend.
        tf.registerBackend('tensorflow', () => new MathBackendCPU());
        return {};
      }
      return realImport(specifier);
    };
    const selection = await selectBackend({ importModule });
    expect(selection).toMatchObject({
      backend: 'tensorflow',
      packageName: '@tensorflow/tfjs-node',
      registeredKernels: [],
      attempts: [{ backend: 'tensorflow', ok: true }],
    });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('reports a native package that loads without registering a backend, and falls back', async () => {
    const importModule = async (specifier: string) =>
      specifier.startsWith('@tensorflow/tfjs-node') ? {} : realImport(specifier);
    const selection = await selectBackend({ importModule });
    expect(selection.backend).toBe('wasm');
    expect(selection.attempts[0]?.reason).toMatch(/registered no 'tensorflow' backend/);
  });

  it('rejects an unknown preferred backend and fails clearly when nothing loads', async () => {
    await expect(selectBackend({ preferred: 'webgl' as 'cpu' })).rejects.toThrow(RangeError);
    const importModule = async (specifier: string): Promise<unknown> => {
      throw new Error(`blocked ${specifier}`);
    };
    await expect(selectBackend({ importModule })).rejects.toThrow(
      /no TensorFlow.js backend could be activated/,
    );
  });
});
