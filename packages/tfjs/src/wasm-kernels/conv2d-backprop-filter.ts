import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, backend_util, Conv2DBackpropFilter, Transpose } from '@tensorflow/tfjs-core';
import { transposeLastTwo } from './batch-mat-mul';
import { geometryOf, NCHW_TO_NHWC } from './conv-geometry';
import { im2colTransposed, im2colTransposedFromPlanes, isShiftedPlaneCase } from './im2col';
import { simdKernelsFor } from './simd-kernels';
import {
  asWasmBackend,
  freshView,
  heapF32,
  heapOffset,
  releaseFreshView,
  runStockKernel,
  type WasmBackendInternals,
} from './wasm-internals';

/**
 * Sizes of the temporary patch matrices of the convolution-gradient kernels, in floats: `maxFloats` bounds the
 * extra memory (64 MiB), `chunkFloats` is the cache-friendly chunk size of the filter gradient (1 MiB). Batches
 * are processed in chunks of whole images and the partial results combined. Mutable for tests.
 */
export const patchMatrixBudget = { maxFloats: 1 << 24, chunkFloats: 1 << 18 };

/** Adds `addend` into `accumulator` (same shape, float32) in place. */
function accumulate(backend: WasmBackendInternals, accumulator: TensorInfo, addend: TensorInfo): void {
  const acc = heapF32(backend, accumulator);
  const add = heapF32(backend, addend);
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + add[i]!;
}

/**
 * Filter gradient of a 2-D convolution on the wasm backend, which has no such kernel. With the WASM SIMD
 * module loaded: its register-tiled loop accumulates the gradient directly from `x` and `dy`. Otherwise (the
 * pure JS path): the transposed patch
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
  const simd = simdKernelsFor(backend);
  if (simd !== undefined) {
    const dw = backend.makeOutput([...filterShape], 'float32');
    heapF32(backend, dw).fill(0);
    simd.conv2d_backprop_filter(
      heapOffset(backend, xNhwc),
      heapOffset(backend, dyNhwc),
      heapOffset(backend, dw),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.dilationHeight,
      info.dilationWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    for (const t of owned) backend.disposeData(t.dataId);
    return dw;
  }
  const patchSize = info.filterHeight * info.filterWidth * info.inChannels;
  const positionsPerImage = info.outHeight * info.outWidth;
  const pixelsPerImage = info.inHeight * info.inWidth;
  // Chunks of whole images small enough for the patch matrix to stay in cache: the matMul then reads it once
  // instead of once per row tile of XNNPACK's kernel, and the partial sums are added up.
  const chunkFloats = Math.min(patchMatrixBudget.maxFloats, patchMatrixBudget.chunkFloats);
  const imagesPerChunk = Math.max(
    1,
    Math.min(info.batchSize, Math.floor(chunkFloats / Math.max(1, patchSize * positionsPerImage))),
  );
  const shifted = isShiftedPlaneCase(geometry);
  const planes =
    shifted && info.inChannels > 1
      ? new Float32Array(imagesPerChunk * pixelsPerImage * info.inChannels)
      : undefined;
  const colsBuffer = backend.makeOutput([patchSize, imagesPerChunk * positionsPerImage], 'float32');
  let result: TensorInfo | undefined;
  for (let start = 0; start < info.batchSize; start += imagesPerChunk) {
    const end = Math.min(info.batchSize, start + imagesPerChunk);
    const columnCount = (end - start) * positionsPerImage;
    const colsT = freshView(backend, colsBuffer, [patchSize, columnCount]);
    const colsValues = heapF32(backend, colsT);
    const xAll = heapF32(backend, xNhwc);
    if (shifted) {
      // Channel-major copy of this chunk's input, then one shifted plane copy per patch row.
      const pixels = (end - start) * pixelsPerImage;
      const offset = start * pixelsPerImage * info.inChannels;
      const chunk = xAll.subarray(offset, offset + pixels * info.inChannels);
      let chunkPlanes = chunk;
      if (planes !== undefined) {
        chunkPlanes = planes.subarray(0, chunk.length);
        transposeLastTwo(chunk, chunkPlanes, 1, pixels, info.inChannels);
      }
      im2colTransposedFromPlanes(chunkPlanes, colsValues, geometry, end - start);
    } else {
      im2colTransposed(xAll, colsValues, geometry, start, end);
    }
    const dyRows = freshView(
      backend,
      dyNhwc,
      [columnCount, info.outChannels],
      start * positionsPerImage * info.outChannels,
    );
    const partial = runStockKernel(
      backend,
      BatchMatMul,
      { a: colsT, b: dyRows },
      { transposeA: false, transposeB: false },
    );
    releaseFreshView(backend, dyRows);
    releaseFreshView(backend, colsT);
    if (result === undefined) {
      result = partial;
    } else {
      accumulate(backend, result, partial);
      backend.disposeData(partial.dataId);
    }
  }
  backend.disposeData(colsBuffer.dataId);
  for (const t of owned) backend.disposeData(t.dataId);
  if (result === undefined) {
    // Empty batch: the gradient is zero.
    const zeros = backend.makeOutput([...filterShape], 'float32');
    heapF32(backend, zeros).fill(0);
    return zeros;
  }
  return { dataId: result.dataId, shape: [...filterShape], dtype: 'float32' };
}

/** Kernel registration of {@link conv2DBackpropFilterWasm} (the wasm backend has none). */
export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
