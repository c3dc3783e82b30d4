import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, broadcast_util } from '@tensorflow/tfjs-core';
import {
  aliasAs,
  asWasmBackend,
  freshView,
  heapF32,
  releaseFreshView,
  runStockKernel,
  sizeOfShape,
  type WasmBackendInternals,
} from './wasm-internals';

/**
 * Below this many multiply-adds per matrix product, a batched product stays on the stock kernel: splitting it
 * into XNNPACK calls costs more in per-call overhead than it saves.
 */
const SMALL_PRODUCT = 1 << 14;

/** Transposes the last two axes of `[batch, rows, cols]` data into `[batch, cols, rows]` (cache-blocked). */
export function transposeLastTwo(
  src: Float32Array,
  dst: Float32Array,
  batch: number,
  rows: number,
  cols: number,
): void {
  const matrix = rows * cols;
  if (rows === 1 || cols === 1) {
    // A vector: the transposed layout is the same sequence of values.
    dst.set(src.subarray(0, batch * matrix));
    return;
  }
  const block = 32;
  for (let b = 0; b < batch; b++) {
    const base = b * matrix;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(rows, r0 + block);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(cols, c0 + block);
        for (let r = r0; r < r1; r++) {
          const srcRow = base + r * cols;
          for (let c = c0; c < c1; c++) dst[base + c * rows + r] = src[srcRow + c]!;
        }
      }
    }
  }
}

/** `info` as `[batch, rows, cols]` with the last two axes swapped when `transpose` is set (a copy), else an alias. */
function plainOperand(
  backend: WasmBackendInternals,
  info: TensorInfo,
  batch: number,
  rows: number,
  cols: number,
  transpose: boolean,
): TensorInfo {
  if (!transpose) return aliasAs(backend, info, [batch, rows, cols]);
  // Stored as [batch, cols, rows]; produce [batch, rows, cols].
  const out = backend.makeOutput([batch, rows, cols], 'float32');
  transposeLastTwo(heapF32(backend, info), heapF32(backend, out), batch, cols, rows);
  return out;
}

/** Flat batch index of operand `operandOuter` for the flat output batch index `index` (broadcasting). */
function broadcastIndex(index: number, outOuter: readonly number[], operandOuter: readonly number[]): number {
  let remaining = index;
  let result = 0;
  let stride = 1;
  const offset = outOuter.length - operandOuter.length;
  for (let axis = outOuter.length - 1; axis >= 0; axis--) {
    const outDim = outOuter[axis]!;
    const coordinate = remaining % outDim;
    remaining = Math.floor(remaining / outDim);
    const operandAxis = axis - offset;
    if (operandAxis >= 0) {
      const dim = operandOuter[operandAxis]!;
      if (dim !== 1) result += coordinate * stride;
      stride *= dim;
    }
  }
  return result;
}

/** A copy of matrix `index` of a `[batch, rows, cols]` operand. */
function matrixAt(backend: WasmBackendInternals, operand: TensorInfo, index: number): TensorInfo {
  const [, rows, cols] = operand.shape as [number, number, number];
  const out = backend.makeOutput([1, rows, cols], 'float32');
  const size = rows * cols;
  heapF32(backend, out).set(heapF32(backend, operand).subarray(index * size, (index + 1) * size));
  return out;
}

/**
 * Matrix product on the wasm backend that keeps every product on XNNPACK's fast path (no transpose flags,
 * batch 1): transposed operands are transposed explicitly by a cache-blocked JS loop, and batched products
 * (with broadcasting of the batch axes) are run matrix by matrix, except small ones, which stay on the stock
 * kernel.
 */
export function batchMatMulWasm(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: unknown;
  attrs: BatchMatMulAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const stock = () => runStockKernel(backend, BatchMatMul, { a, b }, { transposeA, transposeB });
  const plainProduct = (left: TensorInfo, right: TensorInfo) => {
    // A fresh id for `b` on every call: the stock kernel's operator cache is keyed by b's id, not its shape.
    const view = freshView(backend, right, right.shape);
    const product = runStockKernel(
      backend,
      BatchMatMul,
      { a: left, b: view },
      { transposeA: false, transposeB: false },
    );
    releaseFreshView(backend, view);
    return product;
  };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return stock();
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const rows = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const inner = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const innerB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const cols = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (inner !== innerB) return stock(); // the stock kernel reports the shape error
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const outOuter = broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const batch = sizeOfShape(outOuter);
  const outShape = [...outOuter, rows, cols];
  if (batch > 1 && rows * inner * cols < SMALL_PRODUCT) return stock();
  if (batch === 0 || rows * cols === 0) {
    const empty = backend.makeOutput(outShape, 'float32');
    heapF32(backend, empty).fill(0);
    return empty;
  }

  const batchA = sizeOfShape(aOuter);
  const batchB = sizeOfShape(bOuter);
  const aPlain = plainOperand(backend, a, batchA, rows, inner, transposeA);
  const bPlain = plainOperand(backend, b, batchB, inner, cols, transposeB);
  let out: TensorInfo;
  if (batch === 1) {
    out = plainProduct(aPlain, bPlain);
  } else {
    out = backend.makeOutput([batch, rows, cols], 'float32');
    const product = rows * cols;
    const sharedA = batchA === 1 ? aPlain : undefined;
    const sharedB = batchB === 1 ? bPlain : undefined;
    for (let i = 0; i < batch; i++) {
      const ai = sharedA ?? matrixAt(backend, aPlain, broadcastIndex(i, outOuter, aOuter));
      const bi = sharedB ?? matrixAt(backend, bPlain, broadcastIndex(i, outOuter, bOuter));
      const part = plainProduct(ai, bi);
      heapF32(backend, out).set(heapF32(backend, part), i * product);
      backend.disposeData(part.dataId);
      if (ai !== sharedA) backend.disposeData(ai.dataId);
      if (bi !== sharedB) backend.disposeData(bi.dataId);
    }
  }
  backend.disposeData(aPlain.dataId);
  backend.disposeData(bPlain.dataId);
  return { dataId: out.dataId, shape: outShape, dtype: 'float32' };
}

/** Kernel registration of {@link batchMatMulWasm}, replacing the stock wasm kernel. */
export const batchMatMulWasmConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as KernelFunc,
};
