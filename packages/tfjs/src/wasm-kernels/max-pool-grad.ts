import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import { simdKernelsFor } from './simd-kernels';
import { asWasmBackend, heapF32, heapOffset } from './wasm-internals';

/**
 * Gradient of 2-D max pooling on the wasm backend, replacing the stock kernel's naive loops (by the WASM SIMD
 * module's loop when it is loaded, else by the same loop in JS): one pass over the
 * output positions that finds each window's first maximum (strictly greater, as the cpu backend does; windows
 * with no finite maximum pass no gradient) with the channels innermost, and adds `dy` there.
 */
export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
  backend: unknown;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, input } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    throw new TypeError(`MaxPoolGrad: expected float32 inputs, got ${dy.dtype} and ${input.dtype}`);
  }
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const dxInfo = backend.makeOutput([...input.shape], 'float32');
  const dx = heapF32(backend, dxInfo);
  dx.fill(0);
  const simd = simdKernelsFor(backend);
  if (simd !== undefined && dilationHeight === 1 && dilationWidth === 1) {
    simd.max_pool_grad(
      heapOffset(backend, input),
      heapOffset(backend, dy),
      heapOffset(backend, dxInfo),
      batchSize,
      inHeight,
      inWidth,
      channels,
      outHeight,
      outWidth,
      effectiveFilterHeight,
      effectiveFilterWidth,
      strideHeight,
      strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return dxInfo;
  }
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const rowStride = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - info.padInfo.top;
      // First and last window rows inside the image (dilation steps).
      const khLo = hStart >= 0 ? 0 : Math.ceil(-hStart / dilationHeight) * dilationHeight;
      const khHi = Math.min(effectiveFilterHeight, inHeight - hStart);
      for (let ow = 0; ow < outWidth; ow++) {
        const wStart = ow * strideWidth - info.padInfo.left;
        const kwLo = wStart >= 0 ? 0 : Math.ceil(-wStart / dilationWidth) * dilationWidth;
        const kwHi = Math.min(effectiveFilterWidth, inWidth - wStart);
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        const windowBase = imageBase + hStart * rowStride + wStart * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let kh = khLo; kh < khHi; kh += dilationHeight) {
            let index = windowBase + kh * rowStride + kwLo * channels + c;
            for (let kw = kwLo; kw < kwHi; kw += dilationWidth) {
              const value = x[index]!;
              if (value > best) {
                best = value;
                bestIndex = index;
              }
              index += dilationWidth * channels;
            }
          }
          if (bestIndex >= 0) dx[bestIndex] = dx[bestIndex]! + g[dyBase + c]!;
        }
      }
    }
  }
  return dxInfo;
}

/** Kernel registration of {@link maxPoolGradWasm}, replacing the stock wasm kernel. */
export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
