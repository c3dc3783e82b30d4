import { engine } from '@tensorflow/tfjs-core';
import { backendMemory, type ConvFilterGradGeometry, decodeBase64, instanceForBackend } from '../wasm-module';
import { TRAINING_KERNELS_WASM_BASE64 } from './simd-kernels-binary';
import { asWasmBackend, type WasmBackendInternals } from './wasm-internals';

/**
 * Loader of the small WASM SIMD module compiled from `native/training-kernels.c`. It is embedded as base64
 * (no file or network access, so it loads the same way in Node and browsers), compiled once, and instantiated
 * per tfjs wasm backend with that backend's memory, so its functions work on tensors in place. When it is not
 * loaded, not supported (no WASM SIMD) or disabled, the kernels use their pure JS paths.
 */

/** Geometry arguments (NHWC batch) of the WASM max-pool functions, in C order. */
type PoolGeometry = [
  batch: number,
  inHeight: number,
  inWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  filterHeight: number,
  filterWidth: number,
  strideHeight: number,
  strideWidth: number,
  padTop: number,
  padLeft: number,
];

/** Functions exported by the SIMD module; pointers are byte offsets into the tfjs wasm heap. */
export interface SimdTrainingKernels {
  conv2d_backprop_filter(
    x: number,
    dy: number,
    dw: number,
    batch: number,
    ...geometry: ConvFilterGradGeometry
  ): void;
  max_pool_grad(x: number, dy: number, dx: number, ...geometry: PoolGeometry): void;
  max_pool(x: number, y: number, ...geometry: PoolGeometry): void;
  sum_leading_axes(x: number, out: number, outer: number, inner: number): void;
}

let compiled: WebAssembly.Module | undefined;
let loading: Promise<boolean> | undefined;
let failure: string | undefined;
let enabled = true;
const instances = new WeakMap<object, SimdTrainingKernels>();

/**
 * Compiles the WASM SIMD training kernels (once; later calls return the first result) and, if the wasm backend
 * is already initialised, instantiates them for it asynchronously (call it after `tf.setBackend('wasm')` in
 * browsers, whose main thread may refuse synchronous instantiation). Without it, or where the runtime lacks
 * WASM SIMD, the kernel pack runs its pure JS paths.
 *
 * @returns whether the SIMD kernels are available.
 */
export function loadWasmSimdKernels(): Promise<boolean> {
  loading ??= (async () => {
    try {
      const bytes = decodeBase64(TRAINING_KERNELS_WASM_BASE64);
      if (!WebAssembly.validate(bytes)) {
        failure = 'this runtime cannot validate the module (no WebAssembly SIMD support)';
        return false;
      }
      compiled = await WebAssembly.compile(bytes);
      // Instantiate for an already initialised wasm backend now, asynchronously: browsers may refuse
      // synchronous instantiation on the main thread.
      // The engine's registry of initialised backends (findBackend would initialise one as a side effect).
      const backend = (engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
      if (backend !== undefined) {
        const wasmBackend = asWasmBackend(backend);
        const memory = backendMemory(wasmBackend);
        if (memory !== undefined && !instances.has(wasmBackend.wasm)) {
          const instance = await WebAssembly.instantiate(compiled, { env: { memory } });
          instances.set(wasmBackend.wasm, instance.exports as unknown as SimdTrainingKernels);
        }
      }
      return true;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      return false;
    }
  })();
  return loading;
}

/** Whether the SIMD kernels are compiled and enabled, and why not if they are not. */
export interface WasmSimdKernelsStatus {
  /** The module was compiled by {@link loadWasmSimdKernels}. */
  loaded: boolean;
  /** The kernels use it when loaded (see {@link setWasmSimdKernelsEnabled}). */
  enabled: boolean;
  /** Why loading failed, if it did. */
  failure?: string;
}

/** The state of the WASM SIMD training kernels. */
export function wasmSimdKernelsStatus(): WasmSimdKernelsStatus {
  return { loaded: compiled !== undefined, enabled, ...(failure === undefined ? {} : { failure }) };
}

/**
 * Turns the use of the loaded SIMD kernels on or off (on by default), for example to compare them with the
 * pure JS paths, which stay available and tested.
 */
export function setWasmSimdKernelsEnabled(value: boolean): void {
  enabled = value;
}

/** The SIMD kernels bound to `backend`'s memory, or undefined when they are not loaded or disabled. */
export function simdKernelsFor(backend: WasmBackendInternals): SimdTrainingKernels | undefined {
  if (!enabled || compiled === undefined) return undefined;
  try {
    return instanceForBackend(compiled, backend, instances);
  } catch {
    // A browser main thread may forbid synchronous instantiation: call loadWasmSimdKernels() after
    // tf.setBackend('wasm') to instantiate asynchronously. Until then, the JS paths run.
    return undefined;
  }
}
