import type {
  DataType,
  KernelConfig,
  KernelFunc,
  MaxPool3DAttrs,
  MaxPool3DGradAttrs,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, MaxPool3D, MaxPool3DGrad } from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32 } from './wasm-internals';

/** The first in-bounds tap of a window starting at `start` and one past its last. */
function tapRange(start: number, dilation: number, extent: number, size: number): [number, number] {
  const lo = start >= 0 ? 0 : Math.ceil(-start / dilation) * dilation;
  return [lo, Math.min(extent, size - start)];
}

/**
 * Visits the windows of 3-D max pooling (NDHWC) in output order with each window's maximum among its in-bounds
 * inputs and the input index of the last position holding it (-Infinity and -1 when the window holds no
 * in-bounds input, or only NaN).
 */
function forEachWindowMaximum(
  x: ArrayLike<number>,
  info: backend_util.Conv3DInfo,
  visit: (best: number, bestIndex: number) => void,
): void {
  const { batchSize, inDepth, inHeight, inWidth, inChannels: channels, outDepth, outHeight, outWidth } = info;
  const { strideDepth, strideHeight, strideWidth, dilationDepth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterDepth, effectiveFilterHeight, effectiveFilterWidth, padInfo } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let od = 0; od < outDepth; od++) {
      const dStart = od * strideDepth - padInfo.front;
      const [kdLo, kdHi] = tapRange(dStart, dilationDepth, effectiveFilterDepth, inDepth);
      for (let oh = 0; oh < outHeight; oh++) {
        const hStart = oh * strideHeight - padInfo.top;
        const [khLo, khHi] = tapRange(hStart, dilationHeight, effectiveFilterHeight, inHeight);
        for (let ow = 0; ow < outWidth; ow++) {
          const wStart = ow * strideWidth - padInfo.left;
          const [kwLo, kwHi] = tapRange(wStart, dilationWidth, effectiveFilterWidth, inWidth);
          for (let c = 0; c < channels; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let bestIndex = -1;
            for (let kd = kdLo; kd < kdHi; kd += dilationDepth) {
              for (let kh = khLo; kh < khHi; kh += dilationHeight) {
                const row = ((b * inDepth + dStart + kd) * inHeight + hStart + kh) * inWidth + wStart;
                for (let kw = kwLo; kw < kwHi; kw += dilationWidth) {
                  const index = (row + kw) * channels + c;
                  const value = x[index]!;
                  if (value >= best) {
                    best = value;
                    bestIndex = index;
                  }
                }
              }
            }
            visit(best, bestIndex);
          }
        }
      }
    }
  }
}

/**
 * Gradient of 3-D max pooling (NDHWC): each window's `dy` goes to the position of the window's maximum among
 * its in-bounds inputs (the last one on ties, as the cpu backend's forward positions are chosen). Each example's
 * gradient comes from that example's `dy` only.
 */
export function maxPool3dGradValues(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  info: backend_util.Conv3DInfo,
  dx: Float32Array,
): void {
  dx.fill(0);
  let read = 0;
  forEachWindowMaximum(x, info, (_best, bestIndex) => {
    const g = dy[read++]!;
    if (bestIndex >= 0) dx[bestIndex]! += g;
  });
}

/**
 * 3-D max pooling (NDHWC): each output is the maximum of its window's in-bounds inputs (-Infinity when none is
 * above it).
 */
export function maxPool3dValues(x: ArrayLike<number>, info: backend_util.Conv3DInfo, y: Float32Array): void {
  let write = 0;
  forEachWindowMaximum(x, info, (best) => {
    y[write++] = best;
  });
}

function poolInfo(input: TensorInfo, attrs: MaxPool3DGradAttrs): backend_util.Conv3DInfo {
  return backend_util.computePool3DInfo(
    input.shape as [number, number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/** The cpu backend's methods the kernel uses. */
interface CpuBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

/**
 * `MaxPool3DGrad` for the cpu and wasm backends, replacing the stock kernels of tfjs 4.22: the wasm kernel
 * passes the gradient to the wrong positions with 'same' padding, the cpu kernel with windows that are not
 * cubes (it mixes up the window's height and width) and with some paddings.
 */
export function maxPool3dGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo };
  backend: unknown;
  attrs: MaxPool3DGradAttrs;
}): TensorInfo {
  const { dy, input } = args.inputs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    throw new TypeError(`MaxPool3DGrad: expected float32 inputs, got ${dy.dtype} and ${input.dtype}`);
  }
  const info = poolInfo(input, args.attrs);
  if (typeof (args.backend as { typedArrayFromHeap?: unknown }).typedArrayFromHeap === 'function') {
    const backend = asWasmBackend(args.backend);
    const dx = backend.makeOutput([...input.shape], 'float32');
    maxPool3dGradValues(heapF32(backend, input), heapF32(backend, dy), info, heapF32(backend, dx));
    return dx;
  }
  const backend = args.backend as CpuBackend;
  const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
  maxPool3dGradValues(backend.readSync(input.dataId), backend.readSync(dy.dataId), info, dx);
  return backend.makeTensorInfo([...input.shape], 'float32', dx);
}

/** Kernel registrations of {@link maxPool3dGrad} for the cpu and wasm backends. */
export const maxPool3dGradConfigs: readonly KernelConfig[] = ['cpu', 'wasm'].map((backendName) => ({
  kernelName: MaxPool3DGrad,
  backendName,
  kernelFunc: maxPool3dGrad as unknown as KernelFunc,
}));

/**
 * `MaxPool3D` on the wasm backend, replacing the stock kernel of tfjs-backend-wasm 4.22, whose results differ
 * from the cpu backend's for most windows (measured: 2×2×2 windows with stride 1 or 2, 1×2×3 windows).
 */
export function maxPool3dWasm(args: {
  inputs: { x: TensorInfo };
  backend: unknown;
  attrs: MaxPool3DAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  if (x.dtype !== 'float32') throw new TypeError(`MaxPool3D: expected a float32 input, got ${x.dtype}`);
  if (args.attrs.dataFormat !== undefined && args.attrs.dataFormat !== 'NDHWC') {
    throw new RangeError(`MaxPool3D: dataFormat must be NDHWC, got ${args.attrs.dataFormat}`);
  }
  const info = poolInfo(x, args.attrs);
  const y = backend.makeOutput([...info.outShape], 'float32');
  maxPool3dValues(heapF32(backend, x), info, heapF32(backend, y));
  return y;
}

/** Kernel registration of {@link maxPool3dWasm}, replacing the stock wasm kernel. */
export const maxPool3dWasmConfig: KernelConfig = {
  kernelName: MaxPool3D,
  backendName: 'wasm',
  kernelFunc: maxPool3dWasm as unknown as KernelFunc,
};
