import type {
  DataType,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  SliceAttrs,
  SplitVAttrs,
  TensorInfo,
  UnpackAttrs,
} from '@tensorflow/tfjs-core';
import { backend_util, Slice, SplitV, slice_util, Unpack, util } from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  captureStockKernel,
  runStockKernel,
  tensorRecord,
  type WasmBackendInternals,
} from './wasm-internals';

type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * A view of a numeric tensor's data on the wasm heap (bool is one byte per element there), or undefined. Also
 * undefined when the heap holds the data in another dtype than the tensor's: a cast without loss of precision on
 * the cpu backend (int32 to float32) shares its input's data, and moved to wasm that data keeps the input's dtype,
 * which only the stock kernel's conversion reads right.
 */
function heapView(backend: WasmBackendInternals, info: TensorInfo): HeapArray | undefined {
  const { memoryOffset, dtype } = tensorRecord(backend, info);
  if (dtype !== info.dtype) return undefined;
  const size = util.sizeFromShape(info.shape);
  const buffer = backend.wasm.HEAPU8.buffer;
  const views: Partial<Record<DataType, () => HeapArray>> = {
    float32: () => new Float32Array(buffer, memoryOffset, size),
    int32: () => new Int32Array(buffer, memoryOffset, size),
    bool: () => new Uint8Array(buffer, memoryOffset, size),
  };
  return views[info.dtype]?.();
}

/**
 * Copies the box `[begin, begin + size)` of `x` (shape `shape`) into `out`, contiguous runs at a time: the
 * trailing axes that are taken whole and the last partial axis form one run.
 */
export function copyBox(
  x: HeapArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: HeapArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1]! * shape[a + 1]!;
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = size[k]! * strides[k]!;
  if (run === 0 || util.sizeFromShape(size as number[]) === 0) return;
  let base = 0;
  for (let a = 0; a <= k; a++) base += begin[a]! * strides[a]!;
  // Odometer over the axes before k.
  const index = new Array<number>(k).fill(0);
  let written = 0;
  for (;;) {
    let offset = base;
    for (let a = 0; a < k; a++) offset += index[a]! * strides[a]!;
    out.set(x.subarray(offset, offset + run), written);
    written += run;
    let a = k - 1;
    while (a >= 0) {
      index[a]!++;
      if (index[a]! < size[a]!) break;
      index[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

/** One box of `x` as a new tensor of shape `outShape`, copied straight from the heap. */
function sliceOut(
  backend: WasmBackendInternals,
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  outShape: number[],
): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after the allocation (it may grow the heap).
  copyBox(heapView(backend, x)!, x.shape, begin, size, heapView(backend, out)!);
  return out;
}

/**
 * `Slice` on the wasm backend. The stock kernel first copies the whole input out of the heap (`readSync`) for
 * every slice, which makes `tf.unstack` and `tf.split` of a `[T, …]` tensor cost `T` copies of it (the
 * recurrent layers call both every step). This one copies only the slice. Strings go to the stock kernel.
 */
export function sliceWasm(args: {
  inputs: { x: TensorInfo };
  backend: unknown;
  attrs: SliceAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  if (heapView(backend, x) === undefined) {
    return runStockKernel(backend, Slice, { x }, args.attrs as unknown as NamedAttrMap);
  }
  const [begin, size] = slice_util.parseSliceParams(x as never, args.attrs.begin, args.attrs.size) as [
    number[],
    number[],
  ];
  slice_util.assertParamsValid(x as never, begin, size);
  return sliceOut(backend, x, begin, size, size);
}

/** `Unpack` (`tf.unstack`) on the wasm backend, one heap copy per output (see {@link sliceWasm}). */
export function unpackWasm(args: {
  inputs: { value: TensorInfo };
  backend: unknown;
  attrs: UnpackAttrs;
}): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const { value } = args.inputs;
  if (heapView(backend, value) === undefined) {
    return runStockKernelMany(backend, Unpack, { value }, args.attrs);
  }
  const axis = args.attrs.axis < 0 ? args.attrs.axis + value.shape.length : args.attrs.axis;
  const outShape = value.shape.filter((_, a) => a !== axis);
  const size = [...value.shape];
  size[axis] = 1;
  const begin = new Array<number>(value.shape.length).fill(0);
  const outs: TensorInfo[] = [];
  for (let i = 0; i < value.shape[axis]!; i++) {
    begin[axis] = i;
    outs.push(sliceOut(backend, value, begin, size, outShape));
  }
  return outs;
}

/** `SplitV` (`tf.split`) on the wasm backend, one heap copy per output (see {@link sliceWasm}). */
export function splitVWasm(args: {
  inputs: { x: TensorInfo };
  backend: unknown;
  attrs: SplitVAttrs;
}): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  if (heapView(backend, x) === undefined) return runStockKernelMany(backend, SplitV, { x }, args.attrs);
  const axis = util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x as never, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = sliceOut(backend, x, begin, size, size);
    begin[axis]! += s;
    return out;
  });
}

/** The stock kernel of a multi-output op (strings only). */
function runStockKernelMany(
  backend: WasmBackendInternals,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: object,
): TensorInfo[] {
  const kernelFunc = captureStockKernel(name);
  if (kernelFunc === undefined)
    throw new Error(`wasm training kernels: the wasm backend has no ${name} kernel`);
  return kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo[];
}

/** Kernel registrations of the slicing kernels, replacing the stock wasm kernels. */
export const sliceWasmConfigs: readonly KernelConfig[] = [
  { kernelName: Slice, backendName: 'wasm', kernelFunc: sliceWasm as unknown as KernelFunc },
  { kernelName: Unpack, backendName: 'wasm', kernelFunc: unpackWasm as unknown as KernelFunc },
  { kernelName: SplitV, backendName: 'wasm', kernelFunc: splitVWasm as unknown as KernelFunc },
];
