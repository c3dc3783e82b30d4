import type {
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, Conv3DBackpropFilterV2, Conv3DBackpropInputV2 } from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32 } from './wasm-internals';

/**
 * For one output coordinate along one axis, the filter taps that land inside the input: the input index of
 * tap `k` is `start + k * dilation`, kept when it lies in `[0, size)`.
 */
function tapRange(start: number, dilation: number, filter: number, size: number): [number, number] {
  const lo = start >= 0 ? 0 : Math.ceil(-start / dilation);
  const hi = Math.min(filter, Math.ceil((size - start) / dilation));
  return [lo, Math.max(lo, hi)];
}

/**
 * Visits every (output position, filter tap) pair of a 3-D convolution whose input position is inside the
 * volume, with the flat offsets (in elements, channels excluded) of the input position, the output position
 * and the tap. Both gradients of the convolution are sums over exactly these pairs.
 */
function forEachTap(
  info: backend_util.Conv3DInfo,
  visit: (inputPosition: number, outputPosition: number, tap: number) => void,
): void {
  const { batchSize, inDepth, inHeight, inWidth, outDepth, outHeight, outWidth } = info;
  const { filterDepth, filterHeight, filterWidth, strideDepth, strideHeight, strideWidth } = info;
  const { dilationDepth, dilationHeight, dilationWidth, padInfo } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let od = 0; od < outDepth; od++) {
      const dStart = od * strideDepth - padInfo.front;
      const [fdLo, fdHi] = tapRange(dStart, dilationDepth, filterDepth, inDepth);
      for (let oh = 0; oh < outHeight; oh++) {
        const hStart = oh * strideHeight - padInfo.top;
        const [fhLo, fhHi] = tapRange(hStart, dilationHeight, filterHeight, inHeight);
        for (let ow = 0; ow < outWidth; ow++) {
          const wStart = ow * strideWidth - padInfo.left;
          const [fwLo, fwHi] = tapRange(wStart, dilationWidth, filterWidth, inWidth);
          const outputPosition = ((b * outDepth + od) * outHeight + oh) * outWidth + ow;
          for (let fd = fdLo; fd < fdHi; fd++) {
            const id = dStart + fd * dilationDepth;
            for (let fh = fhLo; fh < fhHi; fh++) {
              const ih = hStart + fh * dilationHeight;
              const rowPosition = ((b * inDepth + id) * inHeight + ih) * inWidth;
              const rowTap = (fd * filterHeight + fh) * filterWidth;
              for (let fw = fwLo; fw < fwHi; fw++) {
                visit(rowPosition + wStart + fw * dilationWidth, outputPosition, rowTap + fw);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Input gradient of a 3-D convolution (NDHWC input, `[fd, fh, fw, in, out]` filter): every `dy` entry times the
 * filter tap that produced it, added back to the input position the tap read. Each example's gradient is
 * built from that example's `dy` only.
 */
export function conv3dBackpropInputValues(
  dy: Float32Array,
  filter: Float32Array,
  info: backend_util.Conv3DInfo,
  dx: Float32Array,
): void {
  const { inChannels, outChannels } = info;
  dx.fill(0);
  forEachTap(info, (inputPosition, outputPosition, tap) => {
    const dyBase = outputPosition * outChannels;
    const dxBase = inputPosition * inChannels;
    let w = tap * inChannels * outChannels;
    for (let c = 0; c < inChannels; c++) {
      let sum = 0;
      for (let o = 0; o < outChannels; o++) sum += filter[w++]! * dy[dyBase + o]!;
      dx[dxBase + c]! += sum;
    }
  });
}

/**
 * Filter gradient of a 3-D convolution: for every tap, the sum over examples and output positions of the input
 * value the tap read times `dy` (accumulated in float64).
 */
export function conv3dBackpropFilterValues(
  x: Float32Array,
  dy: Float32Array,
  info: backend_util.Conv3DInfo,
  dw: Float32Array,
): void {
  const { inChannels, outChannels } = info;
  const sums = new Float64Array(dw.length);
  forEachTap(info, (inputPosition, outputPosition, tap) => {
    const dyBase = outputPosition * outChannels;
    const xBase = inputPosition * inChannels;
    let w = tap * inChannels * outChannels;
    for (let c = 0; c < inChannels; c++) {
      const value = x[xBase + c]!;
      for (let o = 0; o < outChannels; o++) sums[w++]! += value * dy[dyBase + o]!;
    }
  });
  dw.set(sums);
}

function expectFloat32(kernel: string, a: TensorInfo, b: TensorInfo): void {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new TypeError(`${kernel}: expected float32 inputs, got ${a.dtype} and ${b.dtype}`);
  }
}

/**
 * `Conv3DBackpropInputV2` on the wasm backend, replacing the stock kernel of tfjs-backend-wasm 4.22, whose
 * results differ from the cpu backend's for every stride and padding (so a Conv3D after the first layer
 * trained wrongly there).
 */
export function conv3dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: unknown;
  attrs: Conv3DBackpropInputV2Attrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = args.inputs;
  const { strides, pad, inputShape } = args.attrs;
  expectFloat32('Conv3DBackpropInputV2', dy, filter);
  const info = backend_util.computeConv3DInfo(
    inputShape as [number, number, number, number, number],
    filter.shape as [number, number, number, number, number],
    strides,
    1,
    pad,
  );
  const dx = backend.makeOutput([...info.inShape], 'float32');
  conv3dBackpropInputValues(heapF32(backend, dy), heapF32(backend, filter), info, heapF32(backend, dx));
  return dx;
}

/**
 * `Conv3DBackpropFilterV2` on the wasm backend, replacing the stock kernel of tfjs-backend-wasm 4.22, whose
 * results differ from the cpu backend's for strides above 1.
 */
export function conv3dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Conv3DBackpropFilterV2Attrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs;
  const { strides, pad, filterShape } = args.attrs;
  expectFloat32('Conv3DBackpropFilterV2', x, dy);
  const info = backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
  );
  const dw = backend.makeOutput([...info.filterShape], 'float32');
  conv3dBackpropFilterValues(heapF32(backend, x), heapF32(backend, dy), info, heapF32(backend, dw));
  return dw;
}

/** Kernel registration of {@link conv3dBackpropInputWasm}, replacing the stock wasm kernel. */
export const conv3dBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv3DBackpropInputV2,
  backendName: 'wasm',
  kernelFunc: conv3dBackpropInputWasm as unknown as KernelFunc,
};

/** Kernel registration of {@link conv3dBackpropFilterWasm}, replacing the stock wasm kernel. */
export const conv3dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv3DBackpropFilterV2,
  backendName: 'wasm',
  kernelFunc: conv3dBackpropFilterWasm as unknown as KernelFunc,
};
