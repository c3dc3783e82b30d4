/**
 * Binds a private run to its training data. The samplers pick example indices, so the accounting holds only
 * if index `i` names the same example at every step: a reordered copy of the data (after a checkpoint, in a
 * second `fit`, a re-shuffled `tf.data` pipeline) would let an example take part more often, or closer
 * together, than the sensitivity assumes. The fingerprint is a SHA-256 (pure JS, browser-safe) of every
 * example's bytes, combined in order (`ordered`) and as a sorted multiset (`content`), so a mismatch says
 * whether only the order or the examples themselves changed.
 */
import { describeMode } from '@cnm/optim';
import { sha256 } from '@noble/hashes/sha256';
import type * as tf from '@tensorflow/tfjs-core';
import type { EngineData } from './training-data';

/** The fingerprint of a training set, kept in the run state and its checkpoints. */
export interface DataFingerprint {
  /** How it was computed (a later format can be told apart). */
  readonly algorithm: 'sha256-rows-v1';
  /** Number of examples. */
  readonly examples: number;
  /** SHA-256 (hex) of the shapes and dtypes, then every example's digest in order. */
  readonly ordered: string;
  /** SHA-256 (hex) of the shapes and dtypes, then the examples' digests sorted: blind to the order. */
  readonly content: string;
}

/** What differs between two fingerprints. */
export type DataChange = 'none' | 'order' | 'content';

const HEX = /^[0-9a-f]{64}$/;

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function bytesOf(t: tf.Tensor, name: string): Uint8Array {
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new TypeError(`${name} must be a numeric or bool tensor, got dtype ${t.dtype}`);
  }
  const values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * The fingerprint of `data`: each example's bytes (every input's row, then the target's row) hashed, and the
 * digests combined in order and sorted. Costs one read of the data; the trainer computes it once per tensors.
 */
export function fingerprintData(data: EngineData): DataFingerprint {
  const inputs = Array.isArray(data.x) ? data.x : [data.x];
  const tensors = [...inputs, data.y];
  const examples = data.y.shape[0] as number;
  const names = [...inputs.map((_, i) => (inputs.length > 1 ? `data.x[${i}]` : 'data.x')), 'data.y'];
  const columns = tensors.map((t, i) => {
    const bytes = bytesOf(t, names[i] as string);
    return { bytes, rowBytes: bytes.length / examples };
  });
  const rows: Uint8Array[] = new Array(examples);
  for (let i = 0; i < examples; i++) {
    const hash = sha256.create();
    for (const { bytes, rowBytes } of columns) hash.update(bytes.subarray(i * rowBytes, (i + 1) * rowBytes));
    rows[i] = hash.digest();
  }
  // Shapes and dtypes first: the same bytes under another shape or dtype are other data.
  const header = new TextEncoder().encode(
    JSON.stringify(tensors.map((t) => ({ shape: t.shape, dtype: t.dtype }))),
  );
  const combine = (digests: readonly Uint8Array[]) => {
    const hash = sha256.create().update(header);
    for (const d of digests) hash.update(d);
    return hex(hash.digest());
  };
  const sorted = rows
    .map((d, i) => ({ key: hex(d), i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    algorithm: 'sha256-rows-v1',
    examples,
    ordered: combine(rows),
    content: combine(sorted.map((s) => rows[s.i] as Uint8Array)),
  };
}

/** What changed from `bound` to `current`. */
export function compareFingerprints(bound: DataFingerprint, current: DataFingerprint): DataChange {
  if (bound.ordered === current.ordered) return 'none';
  return bound.content === current.content ? 'order' : 'content';
}

/** Checks a fingerprint read from a checkpoint; `name` is the field named in errors. */
export function checkDataFingerprint(value: unknown, name: string): DataFingerprint {
  const v = value as DataFingerprint;
  if (
    v === null ||
    typeof v !== 'object' ||
    v.algorithm !== 'sha256-rows-v1' ||
    !Number.isInteger(v.examples) ||
    typeof v.ordered !== 'string' ||
    typeof v.content !== 'string' ||
    !HEX.test(v.ordered) ||
    !HEX.test(v.content)
  ) {
    throw new RangeError(
      `${name} must be a data fingerprint { algorithm: 'sha256-rows-v1', examples, ordered, content } (from exportState)`,
    );
  }
  return { algorithm: v.algorithm, examples: v.examples, ordered: v.ordered, content: v.content };
}

/** Thrown when a run is given other training data than the data it is bound to. */
export class DataMismatchError extends RangeError {
  /** What changed: only the order of the same examples, or the examples themselves. */
  readonly change: 'order' | 'content';

  /** @param message - What changed and what to do; `change` says which. */
  constructor(message: string, change: 'order' | 'content') {
    super(message);
    this.name = 'DataMismatchError';
    this.change = change;
  }
}

/**
 * When a run may see its examples in a new order: never for the cyclic and min-separation participations
 * (an example's index fixes its steps), always under Poisson sampling (every step draws every example
 * independently), and between epochs for the modes whose accounting needs at most one participation per epoch
 * (those that accept a shuffling sampler in the mode table, 'DP-SGD-BASE').
 */
export function orderMayChange(
  run: { readonly mode: string; readonly participation: string; readonly stepsPerEpoch: number },
  stepsTaken: number,
): boolean {
  if (run.participation === 'poisson') return true;
  return reorderedBetweenEpochs(run.mode) && stepsTaken % run.stepsPerEpoch === 0;
}

/** Whether the mode's accounting holds when the examples are reordered between epochs (as a shuffler does). */
function reorderedBetweenEpochs(mode: string): boolean {
  return describeMode(mode).samplers.includes('shuffle');
}

/**
 * The data a run is bound to. The first data seen binds the run (or the fingerprint of a restored checkpoint);
 * later data must have the same fingerprint, except for a new order where {@link orderMayChange} allows it.
 * The fingerprint of the same tensors is computed once.
 */
export class DataBinding {
  #bound: DataFingerprint | undefined;
  #cache: { tensors: tf.Tensor[]; dataIds: unknown[]; fingerprint: DataFingerprint } | undefined;
  readonly #run: Parameters<typeof orderMayChange>[0];

  /** @param run - Mode, participation and steps per epoch of the run (see {@link orderMayChange}). */
  constructor(run: Parameters<typeof orderMayChange>[0]) {
    this.#run = run;
  }

  /** The fingerprint the run is bound to, once it has seen data or restored a checkpoint holding one. */
  get fingerprint(): DataFingerprint | undefined {
    return this.#bound;
  }

  /** Binds to `fingerprint` (a checkpoint's), or unbinds (an older checkpoint: the next data binds). */
  restore(fingerprint: DataFingerprint | undefined): void {
    this.#bound = fingerprint;
  }

  /**
   * Checks `data` against the bound fingerprint before step `stepsTaken + 1`; binds the run to it when unbound.
   * `onNew` runs on tensors not seen before, once they match, before they are bound (if it throws, they are
   * not: it runs again next time). Returns true when the tensors were new.
   */
  check(data: EngineData, stepsTaken: number, onNew?: (data: EngineData) => void): boolean {
    const tensors = [...(Array.isArray(data.x) ? data.x : [data.x]), data.y];
    const dataIds = tensors.map((t) => t.dataId);
    const cache = this.#cache;
    const known =
      cache !== undefined &&
      cache.tensors.length === tensors.length &&
      cache.tensors.every((t, i) => t === tensors[i] && cache.dataIds[i] === dataIds[i]);
    const fingerprint = known
      ? (cache as { fingerprint: DataFingerprint }).fingerprint
      : fingerprintData(data);
    const bound = this.#bound;
    if (bound !== undefined) {
      const change = compareFingerprints(bound, fingerprint);
      if (change === 'content') {
        throw new DataMismatchError(
          `data differs from the training set this run is bound to (after ${stepsTaken} steps): its examples are ` +
            'not the same. The privacy accounting covers one training set; give the data the run started with ' +
            '(the same tensors or dataset, in the same order), or start a new run for other data',
          'content',
        );
      }
      if (change === 'order' && !orderMayChange(this.#run, stepsTaken)) {
        const base = reorderedBetweenEpochs(this.#run.mode)
          ? ` (mode '${this.#run.mode}' accepts a new order only between epochs)`
          : '';
        throw new DataMismatchError(
          `data holds the same examples as the training set this run is bound to, in another order (after ${stepsTaken} steps)${base}. ` +
            'The sampler picks examples by index, so a reordered copy changes which examples each step sees and breaks ' +
            'the participation pattern the privacy accounting assumes: give the data in its original order (the same ' +
            'tensors, or the dataset without .shuffle())',
          'order',
        );
      }
    }
    if (!known) {
      onNew?.(data);
      this.#cache = { tensors, dataIds, fingerprint };
    }
    this.#bound = fingerprint;
    return !known;
  }
}
