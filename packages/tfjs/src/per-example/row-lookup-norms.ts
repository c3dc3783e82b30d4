import * as tf from '@tensorflow/tfjs-core';
import type { RowLookupContribution } from './types';

/**
 * Per-example squared norms of a row lookup's gradients (`[B]`): example `i`'s gradient has row `indices[i, t]`
 * incremented by `right[i, t]`, so its squared norm is `Σ_rows ‖Σ_{t: indices[i,t] = row} right[i, t]‖²`. The
 * positions of an example are grouped by row and their gradients summed in float64, then squared: `B·T·F`
 * operations, where the ghost (Gram) form costs `B·T²·F` and a `[B, T, T]` index comparison that is slow on wasm.
 */
export function rowLookupSquaredNormValues(
  indices: ArrayLike<number>,
  right: ArrayLike<number>,
  batch: number,
  positions: number,
  features: number,
): Float32Array {
  const norms = new Float32Array(batch);
  const sums = new Float64Array(positions * features);
  const slotOf = new Map<number, number>();
  for (let i = 0; i < batch; i++) {
    slotOf.clear();
    let slots = 0;
    for (let t = 0; t < positions; t++) {
      const row = indices[i * positions + t]!;
      let slot = slotOf.get(row);
      if (slot === undefined) {
        slot = slots++;
        slotOf.set(row, slot);
        sums.fill(0, slot * features, (slot + 1) * features);
      }
      const from = (i * positions + t) * features;
      const to = slot * features;
      for (let f = 0; f < features; f++) sums[to + f]! += right[from + f]!;
    }
    let total = 0;
    for (let k = 0; k < slots * features; k++) total += sums[k]! * sums[k]!;
    norms[i] = total;
  }
  return norms;
}

/**
 * {@link rowLookupSquaredNormValues} on a contribution, on the cpu and wasm backends (whose data reads are
 * synchronous and cheap); `undefined` elsewhere, where the Gram form on the device serves.
 */
export function rowLookupSquaredNorms(c: RowLookupContribution): tf.Tensor1D | undefined {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && backend !== 'wasm') return undefined;
  const [batch, positions] = c.indices.shape as [number, number];
  const features = c.right.shape[2]!;
  return tf.tensor1d(
    rowLookupSquaredNormValues(c.indices.dataSync(), c.right.dataSync(), batch, positions, features),
  );
}
