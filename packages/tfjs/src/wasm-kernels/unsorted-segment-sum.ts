import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { UnsortedSegmentSum } from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32, readableRecord, sizeOfShape } from './wasm-internals';

/**
 * Segment sums on the wasm backend, which has no such kernel (the gradient of `tf.gather`, hence of Embedding
 * layers, needs it): `out[s] = sum of x[i]` over the positions `i` of `segmentIds` equal to `s`; ids outside
 * `[0, numSegments)` are skipped, as on the cpu backend. Float32 `x` only.
 */
export function unsortedSegmentSumWasm(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: unknown;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  if (x.dtype !== 'float32') {
    throw new TypeError(`UnsortedSegmentSum: expected float32 x on the wasm backend, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new TypeError(`UnsortedSegmentSum: expected int32 segmentIds, got ${segmentIds.dtype}`);
  }
  const rows = sizeOfShape(segmentIds.shape);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const width = sizeOfShape(rowShape);
  const totals = new Float64Array(numSegments * width);
  const values = heapF32(backend, x);
  const idRecord = readableRecord(backend, segmentIds);
  const ids = new Int32Array(backend.wasm.HEAPU8.buffer, idRecord.memoryOffset, rows);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row]!;
    if (segment < 0 || segment >= numSegments) continue;
    const src = row * width;
    const dst = segment * width;
    for (let j = 0; j < width; j++) totals[dst + j] = totals[dst + j]! + values[src + j]!;
  }
  const out = backend.makeOutput([numSegments, ...rowShape], 'float32');
  heapF32(backend, out).set(totals);
  return out;
}

/** Kernel registration of {@link unsortedSegmentSumWasm} (the wasm backend has none). */
export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};
