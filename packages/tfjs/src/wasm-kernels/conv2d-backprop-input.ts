import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, backend_util, Conv2D, Conv2DBackpropInput, Transpose } from '@tensorflow/tfjs-core';
import { geometryOf, NCHW_TO_NHWC, NHWC_TO_NCHW } from './conv-geometry';
import { patchMatrixBudget } from './conv2d-backprop-filter';
import { col2imAccumulate } from './im2col';
import { asWasmBackend, heapF32, runStockKernel, type WasmBackendInternals } from './wasm-internals';

/**
 * Input gradient of a 2-D convolution on the wasm backend, replacing the stock kernel's naive loops.
 * Stride 1: a convolution of `dy` with the spatially flipped, channel-swapped filter by the stock XNNPACK
 * `Conv2D`. Other strides (or padding larger than the filter): `dy · filterᵀ` by the stock XNNPACK matMul
 * followed by a JS scatter-add of the patches (col2im), in batch chunks of bounded memory.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: unknown;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new TypeError(`Conv2DBackpropInput: expected float32 inputs, got ${dy.dtype} and ${filter.dtype}`);
  }
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const dyNhwc =
    format === 'channelsFirst' ? runStockKernel(backend, Transpose, { x: dy }, { perm: NCHW_TO_NHWC }) : dy;
  const dxNhwc = viaConvolution(backend, dyNhwc, filter, info) ?? viaCol2im(backend, dyNhwc, filter, info);
  if (format !== 'channelsFirst') return dxNhwc;
  backend.disposeData(dyNhwc.dataId);
  const dx = runStockKernel(backend, Transpose, { x: dxNhwc }, { perm: NHWC_TO_NCHW });
  backend.disposeData(dxNhwc.dataId);
  return dx;
}

/** The filter flipped in both spatial axes with its channel axes swapped: `[fh, fw, out, in]`. */
function flippedTransposedFilter(backend: WasmBackendInternals, filter: TensorInfo): TensorInfo {
  const [fh, fw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([fh, fw, co, ci], 'float32');
  const src = heapF32(backend, filter);
  const dst = heapF32(backend, out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const srcBase = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * ci * co;
      const dstBase = (kh * fw + kw) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o]!;
      }
    }
  }
  return out;
}

/** Stride-1 input gradient as a convolution, or undefined when the padding rules it out. */
function viaConvolution(
  backend: WasmBackendInternals,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | undefined {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight - info.outHeight - top + info.filterHeight - 1;
  const right = info.inWidth - info.outWidth - left + info.filterWidth - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return undefined;
  const flipped = flippedTransposedFilter(backend, filter);
  const dx = runStockKernel(
    backend,
    Conv2D,
    { x: dy, filter: flipped },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
  backend.disposeData(flipped.dataId);
  return dx;
}

/** General input gradient: patch gradients `dy · filterᵀ` (XNNPACK) scattered back by col2im, in chunks. */
function viaCol2im(
  backend: WasmBackendInternals,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const geometry = geometryOf(info);
  const patchSize = info.filterHeight * info.filterWidth * info.inChannels;
  const positionsPerImage = info.outHeight * info.outWidth;
  const imageSize = info.inHeight * info.inWidth * info.inChannels;
  const filterT = runStockKernel(
    backend,
    Transpose,
    { x: { dataId: filter.dataId, shape: [patchSize, info.outChannels], dtype: 'float32' } },
    { perm: [1, 0] },
  );
  const dx = backend.makeOutput([info.batchSize, info.inHeight, info.inWidth, info.inChannels], 'float32');
  heapF32(backend, dx).fill(0);
  const imagesPerChunk = Math.max(
    1,
    Math.min(
      info.batchSize,
      Math.floor(patchMatrixBudget.maxFloats / Math.max(1, patchSize * positionsPerImage)),
    ),
  );
  for (let start = 0; start < info.batchSize; start += imagesPerChunk) {
    const count = Math.min(info.batchSize, start + imagesPerChunk) - start;
    const rows = count * positionsPerImage;
    const dyChunk = backend.makeOutput([rows, info.outChannels], 'float32');
    const dyAll = heapF32(backend, dy);
    heapF32(backend, dyChunk).set(
      dyAll.subarray(
        start * positionsPerImage * info.outChannels,
        (start * positionsPerImage + rows) * info.outChannels,
      ),
    );
    const cols = runStockKernel(
      backend,
      BatchMatMul,
      { a: dyChunk, b: filterT },
      { transposeA: false, transposeB: false },
    );
    const dxChunk = heapF32(backend, dx).subarray(start * imageSize, (start + count) * imageSize);
    col2imAccumulate(heapF32(backend, cols), dxChunk, { ...geometry, batchSize: count });
    backend.disposeData(cols.dataId);
    backend.disposeData(dyChunk.dataId);
  }
  backend.disposeData(filterT.dataId);
  return dx;
}

/** Kernel registration of {@link conv2DBackpropInputWasm}, replacing the stock wasm kernel. */
export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc,
};
