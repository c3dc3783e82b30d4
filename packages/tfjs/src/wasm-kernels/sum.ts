import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { Sum, util } from '@tensorflow/tfjs-core';
import { simdKernelsFor } from './simd-kernels';
import { asWasmBackend, heapF32, heapOffset, runStockKernel, sizeOfShape } from './wasm-internals';

/**
 * Sum on the wasm backend. Reductions over leading axes (bias gradients: `dy` summed over batch and
 * positions) are column sums of the tensor viewed as `[outer, inner]`, done by the WASM SIMD module when it
 * is loaded, else by a JS loop, both with float64
 * accumulators instead of the stock kernel's transpose followed by a row reduction; every other reduction goes
 * to the stock kernel.
 */
export function sumWasm(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: SumAttrs }): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((value, index) => value === index);
  if (x.dtype !== 'float32' || !leading) {
    return runStockKernel(backend, Sum, { x }, { axis, keepDims });
  }
  const outer = sizeOfShape(x.shape.slice(0, axes.length));
  const keptShape = x.shape.slice(axes.length);
  const inner = sizeOfShape(keptShape);
  const outShape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
  const out = backend.makeOutput(outShape, 'float32');
  const simd = simdKernelsFor(backend);
  if (simd !== undefined) {
    simd.sum_leading_axes(heapOffset(backend, x), heapOffset(backend, out), outer, inner);
    return out;
  }
  const values = heapF32(backend, x);
  const totals = new Float64Array(inner);
  for (let row = 0; row < outer; row++) {
    const base = row * inner;
    for (let column = 0; column < inner; column++) totals[column] = totals[column]! + values[base + column]!;
  }
  heapF32(backend, out).set(totals);
  return out;
}

/** Kernel registration of {@link sumWasm}, replacing the stock wasm kernel. */
export const sumWasmConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sumWasm as unknown as KernelFunc,
};
