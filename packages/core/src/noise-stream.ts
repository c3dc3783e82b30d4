/**
 * The streaming contract for correlated noise: a `NoiseStream` turns i.i.d. Gaussian draws `z_t` into the
 * correlated noise `(C⁻¹ z)_t`, one step at a time, over vectors of a fixed length (one per model parameter
 * tensor). Its state can be exported and restored exactly, so a checkpointed training run continues with
 * bit-identical noise.
 */
import { assertFiniteArray, assertInteger, assertLength } from './validate';

/** Plain snapshot of a stream: which strategy made it, the vector length, the step reached and its buffers. */
export interface NoiseStreamState {
  /** Name of the strategy whose stream produced this state (restoring into another strategy is refused). */
  readonly strategy: string;
  /** Length of the streamed vectors. */
  readonly size: number;
  /** Number of steps already emitted. */
  readonly step: number;
  /** Copies of the internal float64 buffers (their meaning depends on the strategy; each of length `size`). */
  readonly buffers: Float64Array[];
}

/** A stateful generator of `(C⁻¹ z)_t` (or `(C z)_t` for forward streams) over vectors of length `size`. */
export interface NoiseStream {
  /** Length of every vector passed to and returned by {@link NoiseStream.next}. */
  readonly size: number;
  /** Number of steps emitted so far (the index `t` of the next output). */
  readonly step: number;
  /**
   * Consumes the draw `z` (length `size`), writes row `t` of the streamed product into `out` (a new
   * `Float64Array` when omitted; `out` may be `z` itself) and advances one step.
   */
  next(z: Float64Array | Float32Array, out?: Float64Array | Float32Array): Float64Array | Float32Array;
  /** Exact copy of the current state (buffers are copied, never shared). */
  exportState(): NoiseStreamState;
  /** Replaces the current state by a copy of `state`, which must come from a stream of the same kind and size. */
  restoreState(state: NoiseStreamState): void;
}

/** Checks the vector arguments of `next` and returns the output array to write. */
export function prepareStreamIo(
  size: number,
  z: Float64Array | Float32Array,
  out: Float64Array | Float32Array | undefined,
): Float64Array | Float32Array {
  if (!(z instanceof Float64Array || z instanceof Float32Array)) {
    throw new TypeError('z must be a Float64Array or a Float32Array');
  }
  assertLength('z', z, size);
  if (out === undefined) return new Float64Array(size);
  if (!(out instanceof Float64Array || out instanceof Float32Array)) {
    throw new TypeError('out must be a Float64Array or a Float32Array');
  }
  assertLength('out', out, size);
  return out;
}

/** Validates a state handed to `restoreState` against the stream's kind, size and buffer count. */
export function checkStreamState(
  state: NoiseStreamState,
  strategy: string,
  size: number,
  bufferCount: number | ((step: number) => number),
): void {
  if (state === null || typeof state !== 'object') throw new TypeError('state must be a NoiseStreamState');
  if (state.strategy !== strategy) {
    throw new RangeError(`state.strategy must be '${strategy}', got '${String(state.strategy)}'`);
  }
  if (state.size !== size) throw new RangeError(`state.size must be ${size}, got ${String(state.size)}`);
  assertInteger('state.step', state.step, 0);
  const expected = typeof bufferCount === 'number' ? bufferCount : bufferCount(state.step);
  if (!Array.isArray(state.buffers) || state.buffers.length !== expected) {
    throw new RangeError(`state.buffers must hold ${expected} buffers, got ${String(state.buffers?.length)}`);
  }
  state.buffers.forEach((buffer, i) => {
    if (!(buffer instanceof Float64Array)) throw new TypeError(`state.buffers[${i}] must be a Float64Array`);
    assertLength(`state.buffers[${i}]`, buffer, size);
  });
}

/** Validates the `size` argument of a stream factory. */
export function checkStreamSize(size: number): void {
  assertInteger('size', size, 1);
}

/** JSON form of a {@link NoiseStreamState}: buffers as plain number arrays. */
export interface NoiseStreamStateJson {
  /** Name of the strategy whose stream produced the state. */
  readonly strategy: string;
  /** Length of the streamed vectors. */
  readonly size: number;
  /** Number of steps already emitted. */
  readonly step: number;
  /** The buffers as plain arrays (JSON numbers round-trip float64 values exactly). */
  readonly buffers: number[][];
}

/** Converts a stream state to plain JSON-serialisable data (for checkpoints). */
export function noiseStreamStateToJson(state: NoiseStreamState): NoiseStreamStateJson {
  return {
    strategy: state.strategy,
    size: state.size,
    step: state.step,
    buffers: state.buffers.map((b) => Array.from(b)),
  };
}

/** Rebuilds a stream state from {@link noiseStreamStateToJson} output (checks that every entry is finite). */
export function noiseStreamStateFromJson(json: NoiseStreamStateJson): NoiseStreamState {
  if (json === null || typeof json !== 'object' || !Array.isArray(json.buffers)) {
    throw new TypeError('json must be a NoiseStreamStateJson with a buffers array');
  }
  assertInteger('json.size', json.size, 1);
  assertInteger('json.step', json.step, 0);
  const buffers = json.buffers.map((b, i) => {
    assertFiniteArray(`json.buffers[${i}]`, b);
    assertLength(`json.buffers[${i}]`, b, json.size);
    return Float64Array.from(b);
  });
  return { strategy: String(json.strategy), size: json.size, step: json.step, buffers };
}
