import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, backend_util, Conv2DBackpropFilter, Transpose } from '@tensorflow/tfjs-core';
import { geometryOf, NCHW_TO_NHWC } from './conv-geometry';
import { im2colTransposed } from './im2col';
import {
  asWasmBackend,
  freshView,
  heapF32,
  releaseFreshView,
  runStockKernel,
  type WasmBackendInternals,
} from './wasm-internals';

/**
 * Upper bound on the number of floats of the temporary patch matrix; larger batches are processed in chunks of
 * whole images and their filter gradients summed, so the kernel's extra memory stays bounded (64 MiB).
 */
export const patchMatrixBudget = { maxFloats: 1 << 24 };

/** Adds `addend` into `accumulator` (same shape, float32) in place. */
function accumulate(backend: WasmBackendInternals, accumulator: TensorInfo, addend: TensorInfo): void {
  const acc = heapF32(backend, accumulator);
  const add = heapF32(backend, addend);
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + add[i]!;
}

/**
 * Filter gradient of a 2-D convolution on the wasm backend, which has no such kernel: the transposed patch
 * matrix of `x` (`[filterHeight * filterWidth * inChannels, batch * outHeight * outWidth]`) is built by a JS
 * loop on the wasm heap and multiplied with `dy` viewed as `[batch * outHeight * outWidth, outChannels]` by the
 * stock XNNPACK matMul (no transpose flags, batch 1: its fast path).
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new TypeError(`Conv2DBackpropFilter: expected float32 inputs, got ${x.dtype} and ${dy.dtype}`);
  }
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const geometry = geometryOf(info);
  const owned: TensorInfo[] = [];
  let xNhwc = x;
  let dyNhwc = dy;
  if (format === 'channelsFirst') {
    xNhwc = runStockKernel(backend, Transpose, { x }, { perm: NCHW_TO_NHWC });
    dyNhwc = runStockKernel(backend, Transpose, { x: dy }, { perm: NCHW_TO_NHWC });
    owned.push(xNhwc, dyNhwc);
  }
  const patchSize = info.filterHeight * info.filterWidth * info.inChannels;
  const positionsPerImage = info.outHeight * info.outWidth;
  const imagesPerChunk = Math.max(
    1,
    Math.min(
      info.batchSize,
      Math.floor(patchMatrixBudget.maxFloats / Math.max(1, patchSize * positionsPerImage)),
    ),
  );

  let result: TensorInfo | undefined;
  for (let start = 0; start < info.batchSize; start += imagesPerChunk) {
    const end = Math.min(info.batchSize, start + imagesPerChunk);
    const columnCount = (end - start) * positionsPerImage;
    const colsT = backend.makeOutput([patchSize, columnCount], 'float32');
    im2colTransposed(heapF32(backend, xNhwc), heapF32(backend, colsT), geometry, start, end);
    const dyRows = sliceRows(backend, dyNhwc, start * positionsPerImage, columnCount, info.outChannels);
    const partial = runStockKernel(
      backend,
      BatchMatMul,
      { a: colsT, b: dyRows.info },
      { transposeA: false, transposeB: false },
    );
    backend.disposeData(colsT.dataId);
    dyRows.release();
    if (result === undefined) {
      result = partial;
    } else {
      accumulate(backend, result, partial);
      backend.disposeData(partial.dataId);
    }
  }
  for (const t of owned) backend.disposeData(t.dataId);
  if (result === undefined) {
    // Empty batch: the gradient is zero.
    const zeros = backend.makeOutput([...filterShape], 'float32');
    heapF32(backend, zeros).fill(0);
    return zeros;
  }
  return { dataId: result.dataId, shape: [...filterShape], dtype: 'float32' };
}

/**
 * Rows `[rowStart, rowStart + rowCount)` of `source` viewed as a `[rows, width]` matrix under a fresh tensor id
 * (see {@link freshView}): a zero-copy view when they are all rows, else a copy.
 */
function sliceRows(
  backend: WasmBackendInternals,
  source: TensorInfo,
  rowStart: number,
  rowCount: number,
  width: number,
): { info: TensorInfo; release: () => void } {
  const totalRows = source.shape.reduce((a, b) => a * b, 1) / width;
  if (rowStart === 0 && rowCount === totalRows) {
    const view = freshView(backend, source, [rowCount, width]);
    return { info: view, release: () => releaseFreshView(backend, view) };
  }
  const out = backend.makeOutput([rowCount, width], 'float32');
  const src = heapF32(backend, source);
  heapF32(backend, out).set(src.subarray(rowStart * width, (rowStart + rowCount) * width));
  return { info: out, release: () => backend.disposeData(out.dataId) };
}

/** Kernel registration of {@link conv2DBackpropFilterWasm} (the wasm backend has none). */
export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
