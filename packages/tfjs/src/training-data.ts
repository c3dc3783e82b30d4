/**
 * The training data in the forms tfjs users have (`{ x, y }` or `{ xs, ys }` tensors, or a finite, unbatched
 * `tf.data.Dataset` of single examples), turned into the in-memory tensors the engine samples its batches
 * from. The engine must draw every batch itself: the accounting assumes its sampler, so a pipeline that
 * batches, repeats or never ends is refused with the reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyLayer } from './per-example/types';
import { assertReadableOnBackend } from './shared-storage';

/** The training data, held in memory so that the engine draws every batch itself. */
export interface EngineData {
  /** Inputs, leading axis = examples (an array for multi-input models). */
  readonly x: tf.Tensor | tf.Tensor[];
  /** Targets, leading axis = examples. */
  readonly y: tf.Tensor;
}

/** Training or validation tensors named like a `tf.data` element: `{ xs, ys }`, leading axis = examples. */
export interface XsYsData {
  /** Inputs, leading axis = examples (an array for multi-input models). */
  readonly xs: tf.Tensor | tf.Tensor[];
  /** Targets, leading axis = examples. */
  readonly ys: tf.Tensor;
}

/** In-memory tensors: `{ x, y }` (as given to `makePrivate`) or `{ xs, ys }` (as named by `tf.data`). */
export type TensorData = EngineData | XsYsData;

/**
 * A finite `tf.data.Dataset` (or anything with the same `iterator()` and `size`) whose elements are single
 * examples `{ xs, ys }`: `xs` a tensor of the model's input shape without the batch axis (an array of
 * tensors, or a record by input name, for multi-input models), `ys` the example's target. Do not `.batch()`
 * or `.repeat()` it: the engine reads it once into tensors and draws the batches itself.
 */
export interface ExampleDataset {
  /** Number of elements: a number, `null` when unknown, `Infinity` for a repeated dataset (refused). */
  readonly size: number | null;
  /** A fresh iterator over the elements. */
  iterator(): Promise<ExampleIterator>;
}

/** The iterator of an {@link ExampleDataset} (a tf.data `LazyIterator`). */
export interface ExampleIterator {
  /** The next element, or `done` at the end. */
  next(): Promise<IteratorResult<unknown>>;
}

/**
 * The training data that {@link PrivateTrainer.fit} accepts: tensors ({@link TensorData}) or a finite,
 * unbatched dataset of single examples ({@link ExampleDataset}).
 */
export type TrainingData = TensorData | ExampleDataset;

/**
 * The validation data of {@link PrivateTrainer.fit} (its `validationData` option): tensors, an `[x, y]` pair, or a
 * finite dataset (batched or not).
 */
export type ValidationData = TensorData | readonly [tf.Tensor | tf.Tensor[], tf.Tensor] | ExampleDataset;

/** A tensor, recognised by its fields rather than `instanceof` (which fails across two copies of tfjs-core). */
export function isTensor(value: unknown): value is tf.Tensor {
  return (
    value !== null &&
    typeof value === 'object' &&
    Array.isArray((value as tf.Tensor).shape) &&
    typeof (value as tf.Tensor).dtype === 'string' &&
    typeof (value as tf.Tensor).dataSync === 'function'
  );
}

/** True for a dataset-like object (an `iterator` function), false for tensors. */
export function isExampleDataset(value: unknown): value is ExampleDataset {
  return (
    value !== null && typeof value === 'object' && typeof (value as ExampleDataset).iterator === 'function'
  );
}

/**
 * Checks in-memory tensors (`{ x, y }` or `{ xs, ys }`) and returns them as {@link EngineData} with their
 * number of examples. The tensors are not copied. `name` is the parameter named in errors.
 */
export function toEngineData(value: unknown, name: string): { data: EngineData; size: number } {
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${name} must be { x, y } or { xs, ys } tensors of the training set`);
  }
  const candidate = value as Record<string, unknown>;
  const named = 'xs' in candidate || 'ys' in candidate;
  if (named && ('x' in candidate || 'y' in candidate)) {
    throw new TypeError(`${name} must hold either { x, y } or { xs, ys }, not both`);
  }
  const [xName, yName] = named ? ['xs', 'ys'] : ['x', 'y'];
  const x = candidate[xName];
  const y = candidate[yName];
  if (!isTensor(y) || y.rank === 0) {
    throw new TypeError(`${name}.${yName} must be a tensor with a leading example axis`);
  }
  const inputs = Array.isArray(x) ? x : [x];
  if (inputs.length === 0 || !inputs.every((t) => isTensor(t) && t.rank > 0)) {
    throw new TypeError(
      `${name}.${xName} must be a tensor (or an array of tensors) with a leading example axis`,
    );
  }
  const size = y.shape[0] as number;
  inputs.forEach((t, i) => {
    if ((t as tf.Tensor).shape[0] !== size) {
      throw new RangeError(
        `${name}.${xName}${Array.isArray(x) ? `[${i}]` : ''} must have ${size} examples like ${name}.${yName}, got ${(t as tf.Tensor).shape[0]}`,
      );
    }
  });
  if (size < 1 || size > 2 ** 31 - 1) {
    throw new RangeError(`${name} must hold between 1 and 2^31 - 1 examples, got ${size}`);
  }
  return { data: { x: x as tf.Tensor | tf.Tensor[], y }, size };
}

/**
 * The shape of one example of each model input (without the batch axis; `null` for a free dimension), from
 * the model's symbolic inputs, or `undefined` when the model does not declare them.
 */
export function modelExampleShapes(model: AnyLayer): (number | null)[][] | undefined {
  try {
    const inputs = (model as unknown as { inputs?: { shape: (number | null)[] }[] }).inputs;
    if (Array.isArray(inputs) && inputs.length > 0 && inputs.every((i) => Array.isArray(i?.shape))) {
      return inputs.map((i) => i.shape.slice(1));
    }
    const batchShape = (model as unknown as { batchInputShape?: (number | null)[] }).batchInputShape;
    if (Array.isArray(batchShape) && batchShape.length > 0) return [batchShape.slice(1)];
  } catch {
    // An unbuilt model may throw from its `inputs` getter: its shapes are unknown.
  }
  return undefined;
}

/** The shapes of one example of tensors with a leading example axis. */
export function exampleShapesOf(data: EngineData): number[][] {
  return (Array.isArray(data.x) ? data.x : [data.x]).map((t) => t.shape.slice(1));
}

/** Disposes the tensors of `data` (for tensors the engine owns). */
export function disposeData(data: EngineData): void {
  tf.dispose([...(Array.isArray(data.x) ? data.x : [data.x]), data.y]);
}

/**
 * Checks that tensors hold examples of the shapes given (one per model input, without the batch axis),
 * with a RangeError naming `name` and both shapes otherwise.
 */
export function checkExampleShapes(
  data: EngineData,
  expected: readonly (readonly (number | null)[])[],
  name: string,
): void {
  const inputs = Array.isArray(data.x) ? data.x : [data.x];
  if (inputs.length !== expected.length) {
    throw new RangeError(`${name} holds ${inputs.length} inputs, the model takes ${expected.length}`);
  }
  inputs.forEach((t, i) => {
    const want = expected[i] as readonly (number | null)[];
    if (!shapeMatches(t.shape.slice(1), want)) {
      throw new RangeError(
        `${name}.x${inputs.length > 1 ? `[${i}]` : ''} holds examples of shape ${show(t.shape.slice(1))}, ` +
          `the model takes examples of shape ${show(want)}`,
      );
    }
  });
}

function shapeMatches(shape: readonly number[], expected: readonly (number | null)[]): boolean {
  return shape.length === expected.length && shape.every((d, i) => expected[i] === null || expected[i] === d);
}

const show = (shape: readonly (number | null)[]) =>
  `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;

/** What {@link materialiseDataset} needs to know. */
export interface MaterialiseOptions {
  /** Parameter named in errors (`'data'`, `'validationData'`). */
  readonly name: string;
  /** Example shapes of the model's inputs (without batch axis), when known: detects batched elements. */
  readonly exampleShapes: readonly (readonly (number | null)[])[] | undefined;
  /** Names of the model's inputs, for elements whose `xs` is a record by input name. */
  readonly inputNames: readonly string[] | undefined;
  /**
   * For training data, the number of examples the privacy was calibrated for: elements must be single
   * examples, and reading stops (with an error) after `expectedSize + 1` elements, so an endless stream cannot hang.
   * Without it (validation data) elements may be single examples or batches.
   */
  readonly expectedSize?: number;
  /** Elements joined at a time while reading (default 1024): bounds the memory held twice to one chunk. */
  readonly chunkSize?: number;
}

function elementInputs(
  element: unknown,
  options: MaterialiseOptions,
  index: number,
): { xs: tf.Tensor[]; ys: tf.Tensor } {
  const { name } = options;
  if (element === null || typeof element !== 'object' || !('xs' in element) || !('ys' in element)) {
    throw new TypeError(
      `${name}: every element of the dataset must be an example { xs, ys } (element ${index} is not); map it to that form`,
    );
  }
  const { xs, ys } = element as { xs: unknown; ys: unknown };
  let inputs: unknown[];
  if (Array.isArray(xs)) inputs = xs;
  else if (isTensor(xs)) inputs = [xs];
  else if (xs !== null && typeof xs === 'object' && options.inputNames !== undefined) {
    const record = xs as Record<string, unknown>;
    const missing = options.inputNames.filter((n) => !(n in record));
    if (missing.length > 0) {
      throw new TypeError(`${name}: element ${index} has no xs for the model input(s) ${missing.join(', ')}`);
    }
    inputs = options.inputNames.map((n) => record[n]);
  } else {
    inputs = [xs];
  }
  if (!inputs.every(isTensor) || !isTensor(ys)) {
    throw new TypeError(`${name}: element ${index} must hold tensors in xs (or an array of them) and ys`);
  }
  return { xs: inputs, ys };
}

/**
 * Reads a finite dataset into tensors with a leading example axis, which the caller owns (and disposes). The
 * element tensors (the dataset's to hand out) are disposed once copied. Training data (`expectedSize` given)
 * must be unbatched, finite and of the expected size; validation data may also be batched.
 */
export async function materialiseDataset(
  dataset: ExampleDataset,
  options: MaterialiseOptions,
): Promise<{ data: EngineData; size: number }> {
  const { name, expectedSize, chunkSize = 1024 } = options;
  const training = expectedSize !== undefined;
  if (dataset.size === Number.POSITIVE_INFINITY) {
    throw new RangeError(
      `${name} is an infinite dataset (repeat()): the engine reads the training set once and draws every batch itself, ` +
        'since the privacy accounting holds only for its own sampling; pass the finite dataset',
    );
  }
  const iterator = await dataset.iterator();
  // Elements not yet joined ([...xs, ys] each), and the joined chunks of each column (inputs, then targets).
  let pending: tf.Tensor[][] = [];
  const chunks: tf.Tensor[][] = [];
  let batched: boolean | undefined;
  let firstShapes: number[][] | undefined;
  let firstTarget: number[] | undefined;
  let firstSignature = '';
  // The shapes every element must share (without the batch axis, which may vary, for batches).
  const signature = (xs: tf.Tensor[], ys: tf.Tensor) =>
    [...xs, ys].map((t) => (batched ? t.shape.slice(1) : t.shape).join(',')).join(';');
  let count = 0;
  const sizeMismatch = (size: number) =>
    new RangeError(
      `${name} has ${size} examples, but this run's privacy was calibrated for ${String(expectedSize)} ` +
        '(the sampling rate and the steps per epoch depend on it): give fit the dataset the run was set up for',
    );
  const join = (parts: tf.Tensor[]) => (batched ? tf.concat(parts, 0) : tf.stack(parts, 0));
  const flush = () => {
    if (pending.length === 0) return;
    const columns = (pending[0] as tf.Tensor[]).length;
    for (let c = 0; c < columns; c++) {
      if (chunks[c] === undefined) chunks[c] = [];
      (chunks[c] as tf.Tensor[]).push(join(pending.map((e) => e[c] as tf.Tensor)));
    }
    tf.dispose(pending.flat());
    pending = [];
  };
  try {
    for (let index = 0; ; index++) {
      const next = await iterator.next();
      if (next.done === true) break;
      const { xs, ys } = elementInputs(next.value, options, index);
      pending.push([...xs, ys]);
      const shapes = xs.map((t) => t.shape);
      if (firstShapes === undefined) {
        const expected = options.exampleShapes;
        if (expected !== undefined && expected.length !== xs.length) {
          throw new RangeError(
            `${name}: elements hold ${xs.length} inputs, the model takes ${expected.length}`,
          );
        }
        batched = false;
        if (expected !== undefined) {
          xs.forEach((t, i) => {
            const want = expected[i] as readonly (number | null)[];
            if (shapeMatches(t.shape, want)) return;
            if (t.rank === want.length + 1 && shapeMatches(t.shape.slice(1), want)) {
              if (training) {
                throw new RangeError(
                  `${name} is batched: its elements have shape ${show(t.shape)}, one example of the model's input has ` +
                    `shape ${show(want)}. Pass the unbatched dataset (without .batch()): the engine draws every batch ` +
                    'itself, because the privacy accounting holds only for its own sampling',
                );
              }
              batched = true;
              return;
            }
            throw new RangeError(
              `${name}: element xs${xs.length > 1 ? `[${i}]` : ''} has shape ${show(t.shape)}, the model takes examples of shape ${show(want)}`,
            );
          });
        }
        firstShapes = shapes;
        firstTarget = ys.shape;
        firstSignature = signature(xs, ys);
        // A declared size tells the mismatch without reading the whole dataset.
        if (training && typeof dataset.size === 'number' && dataset.size !== expectedSize) {
          throw sizeMismatch(dataset.size);
        }
      } else if (signature(xs, ys) !== firstSignature) {
        throw new RangeError(
          `${name}: element ${index} has shapes xs ${shapes.map(show).join(', ')} and ys ${show(ys.shape)}, ` +
            `element 0 has xs ${firstShapes.map(show).join(', ')} and ys ${show(firstTarget as number[])}`,
        );
      }
      count += batched ? (ys.shape[0] as number) : 1;
      if (batched && xs.some((t) => t.shape[0] !== ys.shape[0])) {
        throw new RangeError(`${name}: element ${index} has batches of different sizes in xs and ys`);
      }
      if (training && count > expectedSize) {
        throw new RangeError(
          `${name} has more than ${expectedSize} examples, the number this run's privacy was calibrated for ` +
            `(the sampling rate and the steps per epoch depend on it)${dataset.size === null ? '; an endless dataset is refused' : ''}`,
        );
      }
      if (pending.length === chunkSize) flush();
    }
    if (count === 0) throw new RangeError(`${name} is empty`);
    if (training && count !== expectedSize) throw sizeMismatch(count);
    flush();
    const columns = chunks.map((parts) =>
      parts.length === 1 ? (parts[0] as tf.Tensor) : tf.concat(parts, 0),
    );
    for (const parts of chunks) if (parts.length > 1) tf.dispose(parts);
    chunks.length = 0;
    const y = columns.pop() as tf.Tensor;
    return { data: { x: columns.length === 1 ? (columns[0] as tf.Tensor) : columns, y }, size: count };
  } finally {
    // Only on failure is anything left here; the elements are the dataset's to hand out, so ours to free.
    tf.dispose(pending.flat());
    tf.dispose(chunks.flat());
  }
}

/** The input names of a functional model (the keys of a dataset's `xs` object), if it has them. */
export function modelInputNames(model: AnyLayer): string[] | undefined {
  const names = (model as unknown as { inputNames?: unknown }).inputNames;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
}

/**
 * The training tensors of a step or fit: `data` checked (tensors, the run's number of examples, the model's
 * example shapes; before a step draws its batch, since a step failing midway would block the run), or the run's
 * own data when none is given.
 */
export function trainingTensorsOf(
  data: TensorData | undefined,
  caller: 'step' | 'fit',
  run: { readonly model: AnyLayer; readonly ownData: EngineData | undefined; readonly datasetSize: number },
): EngineData {
  if (data === undefined) {
    if (run.ownData === undefined) {
      throw new TypeError(
        `${caller} needs the training data: this run was set up with datasetSize ${run.datasetSize} only, ` +
          `so pass the data to ${caller === 'fit' ? 'fit(data, options)' : 'step(data)'}`,
      );
    }
    assertReadableOnBackend(run.ownData, 'data');
    return run.ownData;
  }
  if (isExampleDataset(data)) {
    throw new TypeError(
      `${caller} takes tensors here; a tf.data.Dataset goes to fit(dataset, options), which reads it once into tensors`,
    );
  }
  const checked = toEngineData(data, 'data');
  if (checked.size !== run.datasetSize) {
    throw new RangeError(
      `data has ${checked.size} examples, but this run's privacy was calibrated for ${run.datasetSize} ` +
        '(the sampling rate and the steps per epoch depend on it): give the data the run was set up for',
    );
  }
  const expected = modelExampleShapes(run.model);
  if (expected !== undefined) checkExampleShapes(checked.data, expected, 'data');
  assertReadableOnBackend(checked.data, 'data');
  return checked.data;
}
