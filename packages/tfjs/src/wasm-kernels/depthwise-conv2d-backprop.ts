import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32 } from './wasm-internals';

/** Visits every (image, output position, filter tap) whose input position lies inside the image. */
function forEachTap(
  info: backend_util.Conv2DInfo,
  visit: (xOffset: number, dyOffset: number, tapOffset: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const multiplier = outChannels / inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let kh = 0; kh < filterHeight; kh++) {
        const ih = oh * strideHeight + kh * dilationHeight - info.padInfo.top;
        if (ih < 0 || ih >= inHeight) continue;
        for (let ow = 0; ow < outWidth; ow++) {
          const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - info.padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOffset = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            visit(xOffset, dyOffset, (kh * filterWidth + kw) * inChannels * multiplier);
          }
        }
      }
    }
  }
}

/**
 * Filter gradient of a depthwise 2-D convolution on the wasm backend, which has no such kernel (needed to train
 * DepthwiseConv2D and SeparableConv2D layers): a JS loop over the filter taps with float64 accumulators.
 */
export function depthwiseConv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new TypeError(
      `DepthwiseConv2dNativeBackpropFilter: expected float32 inputs, got ${x.dtype}, ${dy.dtype}`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const channels = info.inChannels;
  const multiplier = info.outChannels / channels;
  const totals = new Float64Array(filterShape.reduce((a, b) => a * b, 1));
  const xValues = heapF32(backend, x);
  const dyValues = heapF32(backend, dy);
  forEachTap(info, (xOffset, dyOffset, tapOffset) => {
    for (let c = 0; c < channels; c++) {
      const value = xValues[xOffset + c]!;
      const base = c * multiplier;
      for (let m = 0; m < multiplier; m++) {
        totals[tapOffset + base + m] = totals[tapOffset + base + m]! + value * dyValues[dyOffset + base + m]!;
      }
    }
  });
  const dw = backend.makeOutput([...filterShape], 'float32');
  heapF32(backend, dw).set(totals);
  return dw;
}

/**
 * Input gradient of a depthwise 2-D convolution on the wasm backend, which has no such kernel: a JS loop that
 * adds each filter tap's contribution back onto the input positions.
 */
export function depthwiseConv2dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: unknown;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new TypeError(
      `DepthwiseConv2dNativeBackpropInput: expected float32 inputs, got ${dy.dtype}, ${filter.dtype}`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const channels = info.inChannels;
  const multiplier = info.outChannels / channels;
  const dxInfo = backend.makeOutput([...inputShape], 'float32');
  const dx = heapF32(backend, dxInfo);
  dx.fill(0);
  const dyValues = heapF32(backend, dy);
  const w = heapF32(backend, filter);
  forEachTap(info, (xOffset, dyOffset, tapOffset) => {
    for (let c = 0; c < channels; c++) {
      const base = c * multiplier;
      let total = 0;
      for (let m = 0; m < multiplier; m++) total += dyValues[dyOffset + base + m]! * w[tapOffset + base + m]!;
      dx[xOffset + c] = dx[xOffset + c]! + total;
    }
  });
  return dxInfo;
}

/** Kernel registration of {@link depthwiseConv2dBackpropFilterWasm} (the wasm backend has none). */
export const depthwiseConv2dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropFilterWasm as unknown as KernelFunc,
};

/** Kernel registration of {@link depthwiseConv2dBackpropInputWasm} (the wasm backend has none). */
export const depthwiseConv2dBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropInputWasm as unknown as KernelFunc,
};
