import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  getKernel,
  ResizeNearestNeighborGrad,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

/**
 * The gradient of `tf.image.resizeNearestNeighbor` (used by `upSampling2d({ interpolation: 'nearest' })`) with the
 * batch handled right. The stock kernels of tfjs 4.22 get it wrong for batches of more than one example: the cpu
 * kernel reads `dy` at the batch offset of the (smaller) input image, so example b's gradient is read from the
 * wrong example's rows, and the wasm kernel mixes examples too. That breaks ordinary training on those backends
 * and, worse for privacy, per-example clipping: one example's gradient leaks into another's.
 *
 * This kernel is the exact adjoint of the forward kernel: every pixel of `dy` is added to the input pixel the
 * forward pass copied it from, with the forward pass's own source-index formula (`alignCorners`,
 * `halfPixelCenters`), so it is right for every size and option by construction.
 */
export function resizeNearestNeighborGradValues(
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  imagesShape: readonly number[],
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Float32Array {
  const [batch, inHeight, inWidth, channels] = imagesShape as [number, number, number, number];
  const [dyBatch, outHeight, outWidth, dyChannels] = dyShape as [number, number, number, number];
  if (imagesShape.length !== 4 || dyShape.length !== 4 || dyBatch !== batch || dyChannels !== channels) {
    throw new RangeError(
      `ResizeNearestNeighborGrad: dy [${dyShape}] does not match images [${imagesShape}] (rank 4, same batch and channels)`,
    );
  }
  const rowOf = sourceIndices(inHeight, outHeight, alignCorners, halfPixelCenters);
  const colOf = sourceIndices(inWidth, outWidth, alignCorners, halfPixelCenters);
  // Accumulate in float64: a pixel copied k times sums k values, in the same order on every backend.
  const sums = new Float64Array(batch * inHeight * inWidth * channels);
  let read = 0;
  for (let b = 0; b < batch; b++) {
    const imageBase = b * inHeight * inWidth * channels;
    for (let r = 0; r < outHeight; r++) {
      const rowBase = imageBase + rowOf[r]! * inWidth * channels;
      for (let c = 0; c < outWidth; c++) {
        const pixelBase = rowBase + colOf[c]! * channels;
        for (let d = 0; d < channels; d++) sums[pixelBase + d]! += dy[read++]!;
      }
    }
  }
  return Float32Array.from(sums);
}

/** For each output index, the input index the forward kernel copies from (tfjs's cpu forward formula). */
function sourceIndices(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const aligned = alignCorners && outSize > 1;
  const ratio = (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
  const out = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const fraction = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    let source = Math.min(inSize - 1, alignCorners ? Math.round(fraction) : Math.floor(fraction));
    if (halfPixelCenters) source = Math.max(0, source);
    out[i] = source;
  }
  return out;
}

/** The backend methods the kernel uses: reading `dy`, and making the output (cpu or wasm style). */
interface GradBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo?(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
  makeOutput?(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap?(info: TensorInfo): Float32Array;
}

function kernelFunc(args: {
  inputs: { images: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: { alignCorners?: boolean; halfPixelCenters?: boolean };
}): TensorInfo {
  const { images, dy } = args.inputs;
  const backend = args.backend as GradBackend;
  const values = resizeNearestNeighborGradValues(
    backend.readSync(dy.dataId),
    dy.shape,
    images.shape,
    args.attrs.alignCorners === true,
    args.attrs.halfPixelCenters === true,
  );
  const shape = [...images.shape];
  if (typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function') {
    // wasm: the output lives on the module's heap.
    const out = backend.makeOutput(shape, 'float32');
    backend.typedArrayFromHeap(out).set(values);
    return out;
  }
  if (typeof backend.makeTensorInfo !== 'function') {
    throw new Error('ResizeNearestNeighborGrad: unsupported backend (expected cpu or wasm)');
  }
  return backend.makeTensorInfo(shape, 'float32', values);
}

/**
 * Backends whose stock `ResizeNearestNeighborGrad` is wrong in tfjs 4.22 and gets replaced (webgl and native
 * TensorFlow are left alone; the first-step self-check of the engine covers every backend).
 */
export const RESIZE_NEAREST_NEIGHBOR_GRAD_BACKENDS: readonly string[] = ['cpu', 'wasm'];

const configs: readonly KernelConfig[] = RESIZE_NEAREST_NEIGHBOR_GRAD_BACKENDS.map((backendName) => ({
  kernelName: ResizeNearestNeighborGrad,
  backendName,
  kernelFunc: kernelFunc as unknown as KernelFunc,
}));

/**
 * Registers the correct `ResizeNearestNeighborGrad` kernel for the `cpu` and `wasm` backends of TensorFlow.js
 * (those of them that are loaded), in place of their stock kernels, which are wrong (see {@link resizeNearestNeighborGradValues}). The privacy engine calls it before every clipped-gradient
 * computation; call it yourself to make ordinary (non-private) training of models with nearest-neighbour
 * upsampling right on those backends. Cheap and idempotent: it re-registers only where another registration
 * (a backend package loaded later) replaced it.
 *
 * @returns the backends this call registered the kernel for.
 */
export function registerResizeNearestNeighborGradFix(): string[] {
  const registered: string[] = [];
  for (const config of configs) {
    const current = getKernel(ResizeNearestNeighborGrad, config.backendName);
    // Absent: the backend package is not loaded (its own registration would replace ours later anyway).
    if (current === undefined || current.kernelFunc === config.kernelFunc) continue;
    unregisterKernel(ResizeNearestNeighborGrad, config.backendName);
    registerKernel(config);
    registered.push(config.backendName);
  }
  return registered;
}
