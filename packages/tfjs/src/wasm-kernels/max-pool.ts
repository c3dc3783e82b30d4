import type { KernelConfig, KernelFunc, MaxPoolAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, MaxPool } from '@tensorflow/tfjs-core';
import { simdKernelsFor } from './simd-kernels';
import { asWasmBackend, heapF32, heapOffset, runStockKernel } from './wasm-internals';

/**
 * 2-D max pooling on the wasm backend, replacing the stock XNNPACK kernel, which corrupts the wasm heap on some
 * window/stride/padding combinations (for example 1x1 windows with stride 2, or a 3x2 window with strides
 * [2, 1] and numeric padding 0). Each output is the largest value of its window, compared strictly from
 * -infinity as on the cpu backend, by the WASM SIMD module when it is loaded, else by a JS loop. Non-float32
 * inputs go to the stock kernel (which rejects them).
 */
export function maxPoolWasm(args: {
  inputs: { x: TensorInfo };
  backend: unknown;
  attrs: MaxPoolAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  if (x.dtype !== 'float32') {
    return runStockKernel(backend, MaxPool, { x }, { filterSize, strides, pad } as never);
  }
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const out = backend.makeOutput(info.outShape, 'float32');
  const simd = simdKernelsFor(backend);
  if (simd !== undefined) {
    simd.max_pool(
      heapOffset(backend, x),
      heapOffset(backend, out),
      batchSize,
      inHeight,
      inWidth,
      channels,
      outHeight,
      outWidth,
      filterHeight,
      filterWidth,
      strideHeight,
      strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return out;
  }
  const dst = heapF32(backend, out);
  const src = heapF32(backend, x);
  const rowStride = inWidth * channels;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - info.padInfo.top;
      const khLo = Math.max(0, -h0);
      const khHi = Math.min(filterHeight, inHeight - h0);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - info.padInfo.left;
        const kwLo = Math.max(0, -w0);
        const kwHi = Math.min(filterWidth, inWidth - w0);
        const window = (b * inHeight + h0) * rowStride + w0 * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          for (let kh = khLo; kh < khHi; kh++) {
            let index = window + kh * rowStride + kwLo * channels + c;
            for (let kw = kwLo; kw < kwHi; kw++) {
              const value = src[index]!;
              if (value > best) best = value;
              index += channels;
            }
          }
          dst[o++] = best;
        }
      }
    }
  }
  return out;
}

/** Kernel registration of {@link maxPoolWasm}, replacing the stock wasm kernel. */
export const maxPoolWasmConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName: 'wasm',
  kernelFunc: maxPoolWasm as unknown as KernelFunc,
};
