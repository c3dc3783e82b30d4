/** The logical batch of a clipped-gradient computation: its size, its padding mask and its physical chunks. */
import * as tf from '@tensorflow/tfjs-core';
import { assertInteger } from './validate';

/** The batch size of `x` and `y`: their common leading axis, checked. */
export function batchSizeOf(x: tf.Tensor | tf.Tensor[], y: tf.Tensor): number {
  const inputs = Array.isArray(x) ? x : [x];
  if (inputs.length === 0) throw new TypeError('x must hold at least one tensor');
  const size = y.shape[0];
  if (y.rank === 0 || size == null) throw new RangeError('y must have a leading batch axis');
  for (const [i, t] of inputs.entries()) {
    if (!(t instanceof tf.Tensor) || t.rank === 0 || t.shape[0] !== size) {
      throw new RangeError(`x[${i}] must be a tensor with leading axis ${size} (the batch size of y)`);
    }
  }
  assertInteger('batch size', size, 1);
  return size;
}

/** The `[B]` mask as 0/1 values (default all ones), checked. */
export function maskValues(mask: tf.Tensor1D | readonly number[] | undefined, size: number): Float32Array {
  if (mask == null) return new Float32Array(size).fill(1);
  const values = mask instanceof tf.Tensor ? mask.dataSync() : Float32Array.from(mask);
  if (values.length !== size || (mask instanceof tf.Tensor && mask.rank !== 1)) {
    throw new RangeError(`mask must have shape [${size}]`);
  }
  for (const v of values)
    if (v !== 0 && v !== 1) throw new RangeError(`mask values must be 0 or 1, got ${v}`);
  return Float32Array.from(values);
}

/** Slices examples `[start, start + count)` and pads to `physical` rows with copies of row `start`. */
export function chunkOf(t: tf.Tensor, start: number, count: number, physical: number): tf.Tensor {
  const part = tf.slice(t, start, count);
  if (count === physical) return part;
  const filler = tf.tile(tf.slice(t, start, 1), [physical - count, ...t.shape.slice(1).map(() => 1)]);
  return tf.concat([part, filler], 0);
}
