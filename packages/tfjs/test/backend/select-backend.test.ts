import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REFUSED_BACKENDS } from '../../src/backend/refused-backends';
import { selectBackend } from '../../src/backend/select-backend';
import { wasmTrainingKernelNames } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { registerResizeNearestNeighborGradFix } from '../../src/wasm-kernels/resize-nearest-neighbor-grad';

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
    vi.unstubAllGlobals();
    for (const name of ['tensorflow', 'webgl', 'webgpu']) {
      if (tf.findBackendFactory(name) !== null) tf.removeBackend(name);
    }
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
    // Node.js has neither WebGPU nor WebGL: both are skipped with the reason, before wasm.
    expect(selection.attempts.map((a) => a.backend)).toEqual(['tensorflow', 'webgpu', 'webgl', 'wasm']);
    expect(selection.attempts[1]?.reason).toMatch(/no navigator\.gpu/);
    expect(selection.attempts[2]?.reason).toMatch(/WebGL needs a browser/);
    expect(selection.warnings).toEqual([]);
  });

  it('in a browser, takes WebGL, skipping WebGPU (refused by the engine) without loading it', async () => {
    vi.stubGlobal('document', {});
    vi.stubGlobal('navigator', { gpu: {} });
    const imported: string[] = [];
    const importModule = async (specifier: string) => {
      imported.push(specifier);
      // Stand-in for the WebGL package's side effect of registering its backend.
      if (specifier === '@tensorflow/tfjs-backend-webgl') {
        tf.registerBackend('webgl', () => new MathBackendCPU());
        return {};
      }
      return realImport(specifier);
    };
    const selection = await selectBackend({ importModule });
    expect(selection).toMatchObject({
      backend: 'webgl',
      packageName: '@tensorflow/tfjs-backend-webgl',
      warnings: [],
      attempts: [
        { backend: 'tensorflow', ok: false },
        { backend: 'webgpu', ok: false, reason: REFUSED_BACKENDS.webgpu },
        { backend: 'webgl', ok: true },
      ],
    });
    expect(imported).not.toContain('@tensorflow/tfjs-backend-webgpu');
    expect(imported).not.toContain('@tensorflow/tfjs-backend-wasm');
    expect(tf.getBackend()).toBe('webgl');
  });

  it('skips a software-rendered WebGL (SwiftShader) for wasm, unless WebGL is preferred', async () => {
    const gl = {
      getExtension: () => ({}),
      getParameter: (p: number) => (p === 0x9246 ? 'Google SwiftShader' : ''),
    };
    vi.stubGlobal('document', { createElement: () => ({ getContext: () => gl }) });
    const importModule = async (specifier: string) => {
      if (specifier === '@tensorflow/tfjs-backend-webgl') {
        if (tf.findBackendFactory('webgl') === null) tf.registerBackend('webgl', () => new MathBackendCPU());
        return {};
      }
      return realImport(specifier);
    };
    const automatic = await selectBackend({ importModule });
    expect(automatic.backend).toBe('wasm');
    expect(automatic.attempts[2]).toEqual({
      backend: 'webgl',
      ok: false,
      reason:
        "WebGL is software-rendered here (Google SwiftShader): far slower than wasm (pass preferred: 'webgl' to use it anyway)",
    });
    expect((await selectBackend({ importModule, preferred: 'webgl' })).backend).toBe('webgl');
  });

  it('warns when the preferred wasm fails in a browser and another backend is taken', async () => {
    vi.stubGlobal('document', {});
    const importModule = async (specifier: string) => {
      if (specifier === '@tensorflow/tfjs-backend-wasm') throw new Error('tfjs-backend-wasm-simd.wasm: 404');
      if (specifier === '@tensorflow/tfjs-backend-webgl') {
        tf.registerBackend('webgl', () => new MathBackendCPU());
        return {};
      }
      return realImport(specifier);
    };
    const selection = await selectBackend({ preferred: 'wasm', importModule });
    expect(selection.backend).toBe('webgl');
    expect(selection.warnings).toEqual([
      'wasm backend unavailable, training on the webgl backend instead: tfjs-backend-wasm-simd.wasm: 404',
    ]);
  });

  it('warns, with the reason, when wasm is unavailable and training falls back to cpu', async () => {
    const importModule = async (specifier: string) => {
      if (specifier === '@tensorflow/tfjs-backend-wasm') throw new Error('tfjs-backend-wasm.wasm: 404');
      return realImport(specifier);
    };
    const selection = await selectBackend({ preferred: 'wasm', importModule });
    expect(selection.backend).toBe('cpu');
    expect(selection.warnings).toHaveLength(1);
    expect(selection.warnings[0]).toMatch(
      /wasm backend unavailable, training on the cpu backend.*11× slower.*404/,
    );
    // cpu chosen on purpose is no fallback: no warning.
    expect((await selectBackend({ preferred: 'cpu' })).warnings).toEqual([]);
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
    await expect(selectBackend({ preferred: 'opengl' as 'cpu' })).rejects.toThrow(RangeError);
    const importModule = async (specifier: string): Promise<unknown> => {
      throw new Error(`blocked ${specifier}`);
    };
    await expect(selectBackend({ importModule })).rejects.toThrow(
      /no TensorFlow.js backend could be activated/,
    );
  });
});
