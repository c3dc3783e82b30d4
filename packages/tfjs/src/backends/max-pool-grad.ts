import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32 } from './wasm-internals';

/**
 * Gradient of 2-D max pooling on the wasm backend, replacing the stock kernel's naive loops: one pass over the
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
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  dx.fill(0);
  const best = new Float32Array(channels);
  const bestIndex = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * inWidth * channels;
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - info.padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const wStart = ow * strideWidth - info.padInfo.left;
        best.fill(Number.NEGATIVE_INFINITY);
        bestIndex.fill(-1);
        for (let kh = 0; kh < effectiveFilterHeight; kh += dilationHeight) {
          const h = hStart + kh;
          if (h < 0 || h >= inHeight) continue;
          for (let kw = 0; kw < effectiveFilterWidth; kw += dilationWidth) {
            const w = wStart + kw;
            if (w < 0 || w >= inWidth) continue;
            const base = imageBase + (h * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[base + c]!;
              if (value > best[c]!) {
                best[c] = value;
                bestIndex[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          const index = bestIndex[c]!;
          if (index >= 0) dx[index] = dx[index]! + g[dyBase + c]!;
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
