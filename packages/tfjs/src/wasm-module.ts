import type { WasmBackendInternals } from './wasm-kernels/wasm-internals';

/**
 * Shared plumbing of the small WASM SIMD modules embedded as base64 (training kernels, per-example rules):
 * decoding, binding a compiled module to a tfjs wasm backend's memory, and the argument layout of the
 * convolution-filter-gradient functions both modules export. Browser-safe: no Node-only APIs.
 */

/** Bytes of a base64 string (an embedded WASM module); `atob` exists in browsers and Node >= 16. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The WebAssembly memory of a tfjs wasm backend (its Emscripten module's exported memory). */
export function backendMemory(backend: WasmBackendInternals): WebAssembly.Memory | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * The exports of `module` instantiated synchronously on `backend`'s memory, cached per backend in `instances`;
 * `undefined` when the backend exposes no memory. Instantiation errors propagate to the caller.
 */
export function instanceForBackend<Exports>(
  module: WebAssembly.Module,
  backend: WasmBackendInternals,
  instances: WeakMap<object, Exports>,
): Exports | undefined {
  let exports = instances.get(backend.wasm);
  if (exports === undefined) {
    const memory = backendMemory(backend);
    if (memory === undefined) return undefined;
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
    instances.set(backend.wasm, exports);
  }
  return exports;
}

/** Geometry arguments (NHWC, one example) of the WASM convolution-filter-gradient functions, in C order. */
export type ConvFilterGradGeometry = [
  inHeight: number,
  inWidth: number,
  inChannels: number,
  outHeight: number,
  outWidth: number,
  outChannels: number,
  filterHeight: number,
  filterWidth: number,
  strideHeight: number,
  strideWidth: number,
  dilationHeight: number,
  dilationWidth: number,
  padTop: number,
  padLeft: number,
];
