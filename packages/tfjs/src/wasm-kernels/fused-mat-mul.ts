import type { _FusedMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { _FusedMatMul } from '@tensorflow/tfjs-core';
import { transposeLastTwo } from './batch-mat-mul';
import {
  asWasmBackend,
  freshView,
  heapF32,
  releaseFreshView,
  runStockKernel,
  type WasmBackendInternals,
} from './wasm-internals';

/** A `[batch, rows, cols]` copy of an operand stored as `[batch, cols, rows]`. */
function transposedCopy(backend: WasmBackendInternals, info: TensorInfo): TensorInfo {
  const [batch, cols, rows] = info.shape as [number, number, number];
  const out = backend.makeOutput([batch, rows, cols], 'float32');
  transposeLastTwo(heapF32(backend, info), heapF32(backend, out), batch, cols, rows);
  return out;
}

/**
 * Fused matMul (+ bias + activation, used by Dense layers) on the wasm backend: the stock kernel, given
 * explicitly transposed operands (its transpose flags leave XNNPACK's fast path) and fresh tensor ids for `b`
 * and `bias`, whose data its XNNPACK operator cache keys by id only (the same data under two shapes would
 * silently give a wrong product, as with `BatchMatMul`).
 */
export function fusedMatMulWasm(args: {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: unknown;
  attrs: _FusedMatMulAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs;
  const stockAttrs = { transposeA, transposeB, activation, leakyreluAlpha: leakyreluAlpha ?? 0 };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 3 || b.shape.length !== 3) {
    // The stock kernel reports unsupported inputs.
    return runStockKernel(backend, _FusedMatMul, args.inputs as Record<string, TensorInfo>, stockAttrs);
  }
  const owned: TensorInfo[] = [];
  const views: TensorInfo[] = [];
  let left = a;
  if (transposeA) {
    left = transposedCopy(backend, a);
    owned.push(left);
  }
  let right: TensorInfo;
  if (transposeB) {
    right = transposedCopy(backend, b);
    owned.push(right);
  } else {
    right = freshView(backend, b, b.shape);
    views.push(right);
  }
  const inputs: Record<string, TensorInfo> = { a: left, b: right };
  if (bias !== undefined) {
    const biasView = freshView(backend, bias, bias.shape);
    views.push(biasView);
    inputs.bias = biasView;
  }
  if (preluActivationWeights !== undefined) inputs.preluActivationWeights = preluActivationWeights;
  const out = runStockKernel(backend, _FusedMatMul, inputs, {
    ...stockAttrs,
    transposeA: false,
    transposeB: false,
  });
  for (const view of views) releaseFreshView(backend, view);
  for (const t of owned) backend.disposeData(t.dataId);
  return out;
}

/** Kernel registration of {@link fusedMatMulWasm}, replacing the stock wasm kernel. */
export const fusedMatMulWasmConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  kernelFunc: fusedMatMulWasm as unknown as KernelFunc,
};
