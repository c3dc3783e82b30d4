import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, type WasmBackendInternals } from '../wasm-kernels/wasm-internals';
import { type ConvFilterGradGeometry, decodeBase64, instanceForBackend } from '../wasm-module';
import { type ConvGeometry, convAxis } from './patches';
import { PER_EXAMPLE_WASM_BASE64 } from './simd-per-example-binary';

/**
 * Fast paths of the per-example rules on the tfjs wasm backend: per-example convolution kernel gradients (no
 * im2col patches, no batched matMul), their squared norms, per-example bias gradients and the clip-weighted sums
 * of per-example gradients, all from a small WASM SIMD module (`native/per-example/per-example.c`, embedded as base64, under 4 KB, compiled synchronously on
 * first use) instantiated on the tfjs heap. Every function returns `undefined` when its fast path is not
 * available (another backend, no WASM SIMD, disabled); callers then use tfjs ops.
 */

interface PerExampleSimd {
  row_squared_norms(g: number, out: number, rows: number, cols: number): void;
  weighted_row_sum(g: number, w: number, out: number, rows: number, cols: number): void;
  sum_middle_axis(x: number, out: number, batch: number, positions: number, features: number): void;
  conv_filter_grad_example(x: number, dy: number, dw: number, ...geometry: ConvFilterGradGeometry): void;
}

let compiled: WebAssembly.Module | null | undefined;
let enabled = true;
const instances = new WeakMap<object, PerExampleSimd>();

function compileModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = decodeBase64(PER_EXAMPLE_WASM_BASE64);
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Turns the per-example WASM SIMD paths on or off (on by default), e.g. to compare them with the tfjs-ops
 * fallback, which stays available and tested.
 */
export function setPerExampleSimdEnabled(value: boolean): void {
  enabled = value;
}

/** The current wasm backend and this module bound to its memory, when the fast path is usable. */
function currentWasm(): { backend: WasmBackendInternals; simd: PerExampleSimd } | undefined {
  if (!enabled || tf.getBackend() !== 'wasm') return undefined;
  const module = compileModule();
  if (module == null) return undefined;
  const backend = asWasmBackend(tf.backend());
  const simd = instanceForBackend(module, backend, instances);
  return simd === undefined ? undefined : { backend, simd };
}

function offsetOf(backend: WasmBackendInternals, t: tf.Tensor): number | undefined {
  if (t.dtype !== 'float32') return undefined;
  return backend.dataIdMap.get(t.dataId)?.memoryOffset;
}

function wrap(backend: WasmBackendInternals, info: tf.TensorInfo): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/**
 * Per-example kernel gradients of a 2-D convolution (NHWC input `[B, H, W, C]`, pre-activation gradient
 * `[B, Ho, Wo, F]`) as `[B, kh·kw·C·F]` (each row a kernel `[kh, kw, C, F]` flattened), with their squared
 * norms, or `undefined` without the wasm fast path.
 */
export function perExampleConvGradientsWasm(
  input: tf.Tensor4D,
  grad: tf.Tensor4D,
  geometry: ConvGeometry,
): { perExample: tf.Tensor2D; squaredNorms: tf.Tensor1D } | undefined {
  const wasm = currentWasm();
  if (wasm === undefined) return undefined;
  const { backend, simd } = wasm;
  const xOffset = offsetOf(backend, input);
  const dyOffset = offsetOf(backend, grad);
  if (xOffset === undefined || dyOffset === undefined) return undefined;
  const [batch, height, width, channels] = input.shape;
  const [, outHeight, outWidth, filters] = grad.shape;
  const [kh, kw] = geometry.kernelSize;
  const [sh, sw] = geometry.strides;
  const [dh, dw] = geometry.dilations;
  const rows = convAxis(height, kh, sh, dh, geometry.padding);
  const cols = convAxis(width, kw, sw, dw, geometry.padding);
  if (rows.outSize !== outHeight || cols.outSize !== outWidth) {
    throw new Error(`per-example conv: gradient shape ${grad.shape} does not match input ${input.shape}`);
  }
  const size = kh * kw * channels * filters;
  const out = backend.makeOutput([batch, size], 'float32');
  const norms = backend.makeOutput([batch], 'float32');
  // Offsets are read after both allocations (an allocation may grow and move nothing, but may replace views).
  const outOffset = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const normsOffset = backend.dataIdMap.get(norms.dataId)!.memoryOffset;
  const xStride = height * width * channels * 4;
  const dyStride = outHeight * outWidth * filters * 4;
  // Example by example: write the gradient row, and take its norm while it is still in cache.
  for (let i = 0; i < batch; i++) {
    const row = outOffset + i * size * 4;
    simd.conv_filter_grad_example(
      xOffset + i * xStride,
      dyOffset + i * dyStride,
      row,
      height,
      width,
      channels,
      outHeight,
      outWidth,
      filters,
      kh,
      kw,
      sh,
      sw,
      dh,
      dw,
      rows.padBefore,
      cols.padBefore,
    );
    simd.row_squared_norms(row, normsOffset + i * 4, 1, size);
  }
  return {
    perExample: wrap(backend, out) as tf.Tensor2D,
    squaredNorms: wrap(backend, norms) as tf.Tensor1D,
  };
}

/** Squared norms `[B]` of the rows of `[B, N]` per-example gradients, or `undefined` without the fast path. */
export function rowSquaredNormsWasm(perExample: tf.Tensor2D): tf.Tensor1D | undefined {
  const wasm = currentWasm();
  if (wasm === undefined) return undefined;
  const { backend, simd } = wasm;
  const gOffset = offsetOf(backend, perExample);
  if (gOffset === undefined) return undefined;
  const [rows, cols] = perExample.shape;
  const out = backend.makeOutput([rows], 'float32');
  simd.row_squared_norms(gOffset, backend.dataIdMap.get(out.dataId)!.memoryOffset, rows, cols);
  return wrap(backend, out) as tf.Tensor1D;
}

/**
 * `Σᵢ weightsᵢ · perExampleᵢ` (`[N]`) for `[B, N]` per-example gradients and `[B]` weights, or `undefined`
 * without the fast path. One pass over the gradients, where a `[1, B] · [B, N]` matMul on wasm would first
 * repack the whole `[B, N]` matrix.
 */
export function weightedRowSumWasm(perExample: tf.Tensor2D, weights: tf.Tensor1D): tf.Tensor1D | undefined {
  const wasm = currentWasm();
  if (wasm === undefined) return undefined;
  const { backend, simd } = wasm;
  const gOffset = offsetOf(backend, perExample);
  const wOffset = offsetOf(backend, weights);
  if (gOffset === undefined || wOffset === undefined) return undefined;
  const [rows, cols] = perExample.shape;
  if (weights.shape[0] !== rows) throw new Error('weightedRowSumWasm: one weight per row expected');
  const out = backend.makeOutput([cols], 'float32');
  simd.weighted_row_sum(gOffset, wOffset, backend.dataIdMap.get(out.dataId)!.memoryOffset, rows, cols);
  return wrap(backend, out) as tf.Tensor1D;
}

/** `[B, T, F]` summed over the middle axis to `[B, F]`, or `undefined` without the fast path. */
export function sumOverPositionsWasm(t: tf.Tensor3D): tf.Tensor2D | undefined {
  const wasm = currentWasm();
  if (wasm === undefined) return undefined;
  const { backend, simd } = wasm;
  const offset = offsetOf(backend, t);
  if (offset === undefined) return undefined;
  const [batch, positions, features] = t.shape;
  const out = backend.makeOutput([batch, features], 'float32');
  simd.sum_middle_axis(offset, backend.dataIdMap.get(out.dataId)!.memoryOffset, batch, positions, features);
  return wrap(backend, out) as tf.Tensor2D;
}
