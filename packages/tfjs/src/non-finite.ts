/**
 * Non-finite examples. An example whose inputs, labels, per-example loss or gradient hold NaN or ±Infinity
 * would turn its clipped gradient into garbage (or a loss of 0 that trains nothing yet spends the budget). The
 * per-example pass flags them with the loss, in one `[B]` bit mask read with the chunk's other results; the run
 * then refuses the batch (`nonFinite: 'error'`, the default) or leaves them out of the clipped sum
 * (`'skip'`: the sum has one example fewer per skipped example, so the sensitivity is unchanged).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What a batch with non-finite examples does (engine option `nonFinite`). */
export type NonFinitePolicy = 'error' | 'skip';

/** The tensors an example can be non-finite in, by bit of the mask `nonFiniteFlags` computes. */
export const NON_FINITE_PARTS = ['inputs', 'labels', 'loss', 'gradient'] as const;

/** One of {@link NON_FINITE_PARTS}. */
export type NonFinitePart = (typeof NON_FINITE_PARTS)[number];

/** `[B]` 1 where every value of the example (row) is finite; int and bool tensors always are. */
export function finiteRows(t: tf.Tensor): tf.Tensor {
  const batch = t.shape[0] as number;
  if (t.dtype !== 'float32') return tf.ones([batch], 'int32');
  return tf.cast(tf.all(tf.isFinite(tf.reshape(t, [batch, -1])), 1), 'int32');
}

/**
 * `[B]` int32 bit mask of the non-finite parts of each example (bit k = `NON_FINITE_PARTS[k]`), padding rows
 * included. `gradientSquaredNorms` is the `[B]` squared norm of each example's gradient.
 */
export function nonFiniteFlags(
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  perExampleLoss: tf.Tensor,
  gradientSquaredNorms: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const inputs = Array.isArray(x) ? x : [x];
    const inputsFinite = inputs.map(finiteRows).reduce((a, b) => tf.mul(a, b));
    const parts = [inputsFinite, finiteRows(y), finiteRows(perExampleLoss), finiteRows(gradientSquaredNorms)];
    const bits = parts.map((finite, k) => tf.mul(tf.sub(1, finite), 2 ** k));
    return tf.addN(bits) as tf.Tensor1D;
  });
}

/** Thrown when a batch holds non-finite examples and the run's `nonFinite` policy is `'error'`. */
export class NonFiniteExamplesError extends RangeError {
  /** The step that was refused (1-based), when known. */
  readonly step: number | undefined;
  /**
   * Indices of the non-finite examples of the first physical chunk holding any (the step stops there): in the
   * training set (trainer), else positions in the batch.
   */
  readonly indices: readonly number[];
  /** For each index, the tensors it is not finite in. */
  readonly parts: readonly (readonly NonFinitePart[])[];

  /**
   * @param indices - The examples' indices.
   * @param parts - For each, where it is not finite.
   * @param step - The step refused, when known.
   */
  constructor(indices: readonly number[], parts: readonly (readonly NonFinitePart[])[], step?: number) {
    const shown = indices
      .slice(0, 10)
      .map((index, i) => `${index} (${(parts[i] ?? []).join(', ')})`)
      .join(', ');
    super(
      `${step === undefined ? 'the batch' : `step ${step}`} holds examples with non-finite values (NaN or Infinity): ` +
        `${step === undefined ? 'positions' : 'training set indices'} ${shown}${indices.length > 10 ? ', ...' : ''} ` +
        '(those of the first physical chunk holding any). ' +
        "Fix those examples (inputs, labels) or the loss, or set nonFinite: 'skip' to leave such examples out of the clipped sum",
    );
    this.name = 'NonFiniteExamplesError';
    this.step = step;
    this.indices = indices;
    this.parts = parts;
  }

  /** The same error at step `step`, with batch positions replaced by the training set's indices. */
  atStep(step: number, batchIndices: ArrayLike<number>): NonFiniteExamplesError {
    return new NonFiniteExamplesError(
      this.indices.map((position) => batchIndices[position] as number),
      this.parts,
      step,
    );
  }
}

/** The parts a flag value names. */
export function partsOf(flag: number): NonFinitePart[] {
  return NON_FINITE_PARTS.filter((_, k) => (flag & (2 ** k)) !== 0);
}

/** A {@link NonFiniteExamplesError} for the flagged rows of `flags` (positions offset by `start`). */
export function nonFiniteError(flags: ArrayLike<number>, start = 0): NonFiniteExamplesError {
  const indices: number[] = [];
  const parts: NonFinitePart[][] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as number;
    if (flag !== 0) {
      indices.push(start + i);
      parts.push(partsOf(flag));
    }
  }
  return new NonFiniteExamplesError(indices, parts);
}
