import type { DataType, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';

/**
 * Typed access to the internals of `@tensorflow/tfjs-backend-wasm` 4.22.0 that the training kernels use.
 * These fields are not part of the public tfjs API; the package pins the tfjs version exactly and the kernel
 * tests compare every result with the cpu backend, so an upgrade that changes them is caught.
 */

/** One tensor's record in the wasm backend's data map. */
interface WasmTensorRecord {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

/** The part of the Emscripten module of the wasm backend used here. */
interface WasmModuleInternals {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** The part of `BackendWasm` used by the training kernels. */
export interface WasmBackendInternals extends KernelBackend {
  wasm: WasmModuleInternals;
  dataIdMap: {
    get(dataId: object): WasmTensorRecord | undefined;
    set(dataId: object, record: WasmTensorRecord): void;
    delete(dataId: object): boolean;
  };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Kernel implementation signature shared by the kernels of this pack. */
export type WasmKernelFunc = (args: {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendInternals;
  attrs?: NamedAttrMap;
}) => TensorInfo | TensorInfo[];

/** Narrows a backend object to the wasm internals, failing loudly if it is another backend. */
export function asWasmBackend(backend: unknown): WasmBackendInternals {
  const candidate = backend as Partial<WasmBackendInternals> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    candidate.wasm === undefined ||
    candidate.dataIdMap === undefined ||
    typeof candidate.makeOutput !== 'function'
  ) {
    throw new TypeError('backend: expected the @tensorflow/tfjs-backend-wasm backend instance');
  }
  return candidate as WasmBackendInternals;
}

/** The heap record of a tensor, or a clear error if the tensor is not on this backend. */
export function tensorRecord(backend: WasmBackendInternals, info: TensorInfo): WasmTensorRecord {
  const record = backend.dataIdMap.get(info.dataId);
  if (record === undefined) {
    throw new Error('wasm training kernels: tensor data is not on the wasm backend');
  }
  return record;
}

/**
 * The heap record of a tensor whose data the heap stores in the tensor's own dtype. Throws otherwise: tfjs 4.22's
 * cpu backend casts int32 to float32 by sharing the input's data, which keeps its int32 dtype when it moves to
 * wasm, and reading those bits as the tensor's dtype would be silent garbage.
 */
export function readableRecord(backend: WasmBackendInternals, info: TensorInfo): WasmTensorRecord {
  const record = tensorRecord(backend, info);
  if (record.dtype !== info.dtype) {
    throw new TypeError(
      `wasm training kernels: a ${info.dtype} tensor is stored as ${record.dtype} on the wasm heap (a cast made ` +
        "on another backend shares its input's data), which would be read wrong: make the tensor after " +
        '`await selectBackend()`, or copy it with tf.tensor(t.dataSync(), t.shape, t.dtype)',
    );
  }
  return record;
}

/**
 * A Float32Array view of a float32 tensor's data on the wasm heap. Views are invalidated when the heap grows:
 * take them after every allocation (`makeOutput`, kernel calls), never keep them across one. Throws for data the
 * heap stores in another dtype (see {@link readableRecord}) and for tensors that are not float32.
 */
export function heapF32(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  const record = readableRecord(backend, info);
  if (info.dtype !== 'float32') {
    throw new TypeError(`wasm training kernels: expected a float32 tensor, got ${info.dtype}`);
  }
  let size = 1;
  for (const dim of info.shape) size *= dim;
  return new Float32Array(backend.wasm.HEAPU8.buffer, record.memoryOffset, size);
}

/** Byte offset of a tensor's data on the wasm heap (throws like {@link readableRecord}). */
export function heapOffset(backend: WasmBackendInternals, info: TensorInfo): number {
  return readableRecord(backend, info).memoryOffset;
}

/**
 * The kernel functions of the stock wasm backend, captured before this pack replaces any of them, so that a
 * replacement can delegate to the original (for example the XNNPACK batch-1 matMul) without recursion.
 */
const stockKernels = new Map<string, WasmKernelFunc>();

/** Records the stock wasm kernel `name` (once) so that it stays callable after it is replaced. */
export function captureStockKernel(name: string): WasmKernelFunc | undefined {
  const known = stockKernels.get(name);
  if (known !== undefined) return known;
  const config = getKernel(name, 'wasm');
  if (config === undefined) return undefined;
  const kernelFunc = config.kernelFunc as unknown as WasmKernelFunc;
  stockKernels.set(name, kernelFunc);
  return kernelFunc;
}

/**
 * Runs the stock wasm kernel `name` directly on TensorInfos (no tape, no engine bookkeeping) and returns its
 * single output, which the caller owns and must hand back to the engine or free with `backend.disposeData`.
 */
export function runStockKernel(
  backend: WasmBackendInternals,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernelFunc = captureStockKernel(name);
  if (kernelFunc === undefined) {
    throw new Error(`wasm training kernels: the wasm backend has no ${name} kernel`);
  }
  const out = kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    throw new Error(`wasm training kernels: ${name} returned several outputs where one was expected`);
  }
  return out;
}

/** Number of elements of a shape. */
export function sizeOfShape(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** A reshaped alias of `info` sharing its data (the wasm Reshape semantics: one more reference). */
export function aliasAs(backend: WasmBackendInternals, info: TensorInfo, shape: number[]): TensorInfo {
  if (sizeOfShape(shape) !== sizeOfShape(info.shape)) {
    throw new Error(`wasm training kernels: cannot view shape [${info.shape}] as [${shape}]`);
  }
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * A zero-copy view of `info`'s data under a new tensor id, to pass as the `b` operand of the stock matMul.
 * The stock kernel caches its XNNPACK operator (with the packed `b` and its shape) by `b`'s tensor id only, so
 * the same data used as `b` under two shapes (reshapes share the id) silently gives wrong products; a fresh id
 * per call avoids that. `elementOffset` (in float32/int32 elements) views a contiguous part. Release it with {@link releaseFreshView}, never with `disposeData` (the memory belongs to
 * `info`).
 */
export function freshView(
  backend: WasmBackendInternals,
  info: TensorInfo,
  shape: number[],
  elementOffset = 0,
): TensorInfo {
  const size = sizeOfShape(shape);
  if (elementOffset < 0 || elementOffset + size > sizeOfShape(info.shape)) {
    throw new Error(`wasm training kernels: a view [${shape}] at ${elementOffset} exceeds [${info.shape}]`);
  }
  const record = tensorRecord(backend, info);
  const counter = backend as unknown as { dataIdNextNumber: number };
  const id = counter.dataIdNextNumber++;
  const dataId = { id };
  // float32 and int32 both take 4 bytes per element.
  const memoryOffset = record.memoryOffset + elementOffset * 4;
  backend.dataIdMap.set(dataId, { id, memoryOffset, shape, dtype: info.dtype, refCount: 1 });
  backend.wasm.tfjs.registerTensor(id, size, memoryOffset);
  return { dataId, shape, dtype: info.dtype };
}

/** Forgets a view made by {@link freshView} (drops cached XNNPACK operators keyed on it) without freeing memory. */
export function releaseFreshView(backend: WasmBackendInternals, view: TensorInfo): void {
  const record = tensorRecord(backend, view);
  backend.wasm.tfjs.disposeData(record.id);
  backend.dataIdMap.delete(view.dataId);
}
