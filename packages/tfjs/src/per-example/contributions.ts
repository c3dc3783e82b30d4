import * as tf from '@tensorflow/tfjs-core';
import type { GradientContribution } from './types';

/**
 * How a variable's per-example squared norms are obtained: `'ghost'` from Gram matrices without forming
 * per-example gradients, `'materialized'` from per-example gradients, `'auto'` whichever costs less for the
 * variable's shapes.
 */
export type NormStrategy = 'auto' | 'ghost' | 'materialized';

/** Squared norms of one variable, plus its per-example gradients when they were materialised on the way. */
export interface VariableNorms {
  /** `[B]` squared L2 norms of each example's gradient for the variable. */
  readonly squaredNorms: tf.Tensor1D;
  /** `[B, ...variableShape]` per-example gradients, when materialised. */
  readonly perExample?: tf.Tensor;
}

/**
 * Combines the contributions of several calls of one shared layer: the per-example gradient of a shared
 * variable is the sum over calls. Outer products and row lookups are concatenated along positions (exact, and
 * still ghost-capable); anything else is materialised and added.
 */
export function mergeContributions(
  list: GradientContribution[],
  variableShape: number[],
): GradientContribution {
  if (list.length === 1) return list[0]!;
  if (list.every((c) => c.kind === 'outer')) {
    return {
      kind: 'outer',
      left: tf.concat(
        list.map((c) => c.left),
        1,
      ),
      right: tf.concat(
        list.map((c) => c.right),
        1,
      ),
    };
  }
  if (list.every((c) => c.kind === 'rows')) {
    return {
      kind: 'rows',
      indices: tf.concat(
        list.map((c) => c.indices),
        1,
      ),
      right: tf.concat(
        list.map((c) => c.right),
        1,
      ),
      rowCount: list[0]!.rowCount,
    };
  }
  return { kind: 'materialized', perExample: tf.addN(list.map((c) => materialize(c, variableShape))) };
}

/** Per-example gradients `[B, ...variableShape]` of a contribution. */
export function materialize(c: GradientContribution, variableShape: number[]): tf.Tensor {
  switch (c.kind) {
    case 'materialized':
      return c.perExample;
    case 'outer': {
      // Explicit transpose + plain batched matMul: the transposeA flag takes a slow path on wasm.
      const product = tf.matMul(tf.transpose(c.left, [0, 2, 1]), c.right);
      return tf.reshape(product, [product.shape[0]!, ...variableShape]);
    }
    case 'rows': {
      const oneHot = tf.oneHot(c.indices as tf.Tensor2D, c.rowCount);
      const product = tf.matMul(tf.transpose(oneHot, [0, 2, 1]), c.right);
      return tf.reshape(product, [product.shape[0]!, ...variableShape]);
    }
  }
}

function sumAllButFirst(t: tf.Tensor): tf.Tensor1D {
  if (t.rank === 1) return t as tf.Tensor1D;
  const axes: number[] = [];
  for (let i = 1; i < t.rank; i++) axes.push(i);
  return tf.sum(t, axes) as tf.Tensor1D;
}

/** Whether Gram-matrix norms are cheaper than materialising for this contribution. */
export function ghostIsCheaper(c: GradientContribution): boolean {
  if (c.kind === 'outer') {
    const positions = c.left.shape[1]!;
    const k = c.left.shape[2]!;
    const f = c.right.shape[2]!;
    // Per example: ghost ≈ T²(K+F) multiply-adds and T² memory; materialised ≈ T·K·F and K·F memory.
    return positions * (k + f) < k * f;
  }
  if (c.kind === 'rows') {
    const positions = c.indices.shape[1]!;
    return positions * positions < c.rowCount * c.right.shape[2]!;
  }
  return false;
}

/** Per-example squared norms of one variable's gradients with the given strategy. */
export function variableNorms(
  c: GradientContribution,
  variableShape: number[],
  strategy: NormStrategy,
): VariableNorms {
  const ghost =
    c.kind !== 'materialized' && (strategy === 'ghost' || (strategy === 'auto' && ghostIsCheaper(c)));
  if (ghost && c.kind === 'outer') {
    const leftGram = tf.matMul(c.left, c.left, false, true);
    const rightGram = tf.matMul(c.right, c.right, false, true);
    return { squaredNorms: tf.sum(tf.mul(leftGram, rightGram), [1, 2]) as tf.Tensor1D };
  }
  if (ghost && c.kind === 'rows') {
    const same = tf.cast(tf.equal(tf.expandDims(c.indices, 2), tf.expandDims(c.indices, 1)), 'float32');
    const rightGram = tf.matMul(c.right, c.right, false, true);
    return { squaredNorms: tf.sum(tf.mul(same, rightGram), [1, 2]) as tf.Tensor1D };
  }
  const perExample = materialize(c, variableShape);
  return { squaredNorms: sumAllButFirst(tf.square(perExample)), perExample };
}

/**
 * `Σᵢ factorsᵢ · gᵢ` for one variable, shaped like the variable: from the materialised per-example gradients when
 * they exist, otherwise straight from the records (one matrix product, or a scatter-add for row lookups).
 */
export function clippedSum(
  c: GradientContribution,
  factors: tf.Tensor1D,
  variableShape: number[],
  perExample?: tf.Tensor,
): tf.Tensor {
  if (perExample != null || c.kind === 'materialized') {
    const grads = perExample ?? (c as { perExample: tf.Tensor }).perExample;
    const weights = tf.reshape(factors, [factors.shape[0], ...variableShape.map(() => 1)]);
    return tf.sum(tf.mul(grads, weights), 0);
  }
  const batch = factors.shape[0];
  const weights = tf.reshape(factors, [batch, 1, 1]);
  if (c.kind === 'outer') {
    const k = c.left.shape[2]!;
    const f = c.right.shape[2]!;
    const left = tf.transpose(tf.reshape(c.left, [-1, k]));
    const right = tf.reshape(tf.mul(c.right, weights), [-1, f]);
    return tf.reshape(tf.matMul(left, right), variableShape);
  }
  const f = c.right.shape[2]!;
  const updates = tf.reshape(tf.mul(c.right, weights), [-1, f]);
  const indices = tf.reshape(c.indices, [-1, 1]);
  return tf.reshape(tf.scatterND(indices, updates, [c.rowCount, f]), variableShape);
}
