import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, extractPatches } from './patches';
import { rowLookupSquaredNorms } from './row-lookup-norms';
import { perExampleConvGradientsWasm, rowSquaredNormsWasm, weightedRowSumWasm } from './simd-per-example';
import type { ConvolutionContribution, GradientContribution, OuterProductContribution } from './types';

/**
 * How a variable's per-example squared norms are obtained: `'ghost'` from Gram matrices without forming
 * per-example gradients, `'materialized'` from per-example gradients, `'auto'` whichever costs less when the
 * clipped sum is also taken from the records (book-keeping, {@link ghostIsCheaper}), `'mixed'` whichever needs
 * less memory when only the norms are wanted (mixed ghost clipping, {@link ghostNormIsCheaper}).
 */
export type NormStrategy = 'auto' | 'mixed' | 'ghost' | 'materialized';

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
  given: GradientContribution[],
  variableShape: number[],
): GradientContribution {
  if (given.length === 1) return given[0]!;
  const list = given.map((c) => (c.kind === 'convolution' ? convolutionAsOuter(c) : c));
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

/** A convolution contribution as an outer product of image patches `[B, Ho·Wo, kh·kw·C]` and gradients. */
export function convolutionAsOuter(c: ConvolutionContribution): OuterProductContribution {
  const [batch, outHeight, outWidth, filters] = c.grad.shape;
  return {
    kind: 'outer',
    left: extractPatches(c.input, c.geometry),
    right: tf.reshape(c.grad, [batch, outHeight * outWidth, filters]),
  };
}

/** The 1×1 convolution an outer product is: positions as image rows, `K` input and `F` output channels. */
const POINTWISE: ConvGeometry = { kernelSize: [1, 1], strides: [1, 1], dilations: [1, 1], padding: 'valid' };

/**
 * Per-example gradients `[B, K·F]` and squared norms of an outer-product contribution by the WASM SIMD
 * per-example convolution loop (an outer product over `T` positions is the kernel gradient of a 1×1 convolution
 * over a `T × 1` image), or `undefined` without that fast path. Far faster on wasm than a batched matMul of
 * `B` small products.
 */
function perExampleOuterWasm(
  c: OuterProductContribution,
): { perExample: tf.Tensor2D; squaredNorms: tf.Tensor1D } | undefined {
  const [batch, positions, k] = c.left.shape as [number, number, number];
  const f = c.right.shape[2]!;
  return perExampleConvGradientsWasm(
    tf.reshape(c.left, [batch, positions, 1, k]) as tf.Tensor4D,
    tf.reshape(c.right, [batch, positions, 1, f]) as tf.Tensor4D,
    POINTWISE,
  );
}

/** Per-example gradients `[B, ...variableShape]` of a contribution. */
export function materialize(c: GradientContribution, variableShape: number[]): tf.Tensor {
  switch (c.kind) {
    case 'materialized':
      return c.perExample;
    case 'convolution': {
      const fast = perExampleConvGradientsWasm(c.input, c.grad, c.geometry);
      if (fast !== undefined) {
        fast.squaredNorms.dispose();
        return tf.reshape(fast.perExample, [c.input.shape[0], ...variableShape]);
      }
      return materialize(convolutionAsOuter(c), variableShape);
    }
    case 'outer': {
      const fast = perExampleOuterWasm(c);
      if (fast !== undefined) {
        fast.squaredNorms.dispose();
        return tf.reshape(fast.perExample, [c.left.shape[0]!, ...variableShape]);
      }
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

/** `[B, ...]` -> `[B]` squared norms, reduced over one contiguous trailing axis (multi-axis sums are slow on wasm). */
function squaredNormsOf(t: tf.Tensor): tf.Tensor1D {
  const batch = t.shape[0]!;
  const fast = rowSquaredNormsWasm(tf.reshape(t, [batch, -1]) as tf.Tensor2D);
  if (fast !== undefined) return fast;
  return tf.sum(tf.square(tf.reshape(t, [batch, -1])), 1) as tf.Tensor1D;
}

/**
 * Whether Gram-matrix (ghost) norms are worth it for this contribution. Ghost norms cost `T²(K+F)` per example
 * and `T²` memory; materialising costs `T·K·F` and `K·F` memory but then also gives the clipped sum as a cheap
 * weighted sum, whereas after ghost norms the clipped sum is one more `T·K·F` product. So ghost is chosen only when
 * its norm cost is well below materialising (`2T(K+F) < K·F`, a time-based variant of the layer-wise choice of
 * Bu et al.; {@link ghostNormIsCheaper} is their memory rule, for when only norms are needed), as for dense layers
 * on non-sequence inputs, whose per-example gradients would be large.
 */
export function ghostIsCheaper(c: GradientContribution): boolean {
  if (c.kind === 'convolution') {
    const [, outHeight, outWidth, f] = c.grad.shape;
    const positions = outHeight * outWidth;
    const k = c.geometry.kernelSize[0] * c.geometry.kernelSize[1] * c.input.shape[3];
    return 2 * positions * (k + f) < k * f;
  }
  if (c.kind === 'outer') {
    const positions = c.left.shape[1]!;
    const k = c.left.shape[2]!;
    const f = c.right.shape[2]!;
    return 2 * positions * (k + f) < k * f;
  }
  if (c.kind === 'rows') {
    const positions = c.indices.shape[1]!;
    return 2 * positions * positions < c.rowCount * c.right.shape[2]!;
  }
  return false;
}

/** Positions `T`, inputs per position `K` and outputs per position `F` of a factored contribution. */
function factorSizes(c: GradientContribution): { positions: number; k: number; f: number } | undefined {
  if (c.kind === 'convolution') {
    const [, outHeight, outWidth, f] = c.grad.shape;
    return {
      positions: outHeight * outWidth,
      k: c.geometry.kernelSize[0] * c.geometry.kernelSize[1] * c.input.shape[3],
      f,
    };
  }
  if (c.kind === 'outer') return { positions: c.left.shape[1]!, k: c.left.shape[2]!, f: c.right.shape[2]! };
  if (c.kind === 'rows') return { positions: c.indices.shape[1]!, k: c.rowCount, f: c.right.shape[2]! };
  return undefined;
}

/**
 * The layer-wise rule of mixed ghost clipping (Bu et al. 2022): when only the per-example norm is needed (the
 * clipped sum comes from a second backward pass), ghost norms hold two `T×T` Gram matrices per example and the
 * materialised gradient `K·F` numbers, so ghost is chosen when `2T² < K·F` (equal sizes go to materialising,
 * which is also the cheaper in time then).
 */
export function ghostNormIsCheaper(c: GradientContribution): boolean {
  const sizes = factorSizes(c);
  return sizes != null && 2 * sizes.positions * sizes.positions < sizes.k * sizes.f;
}

function ghostWantedFor(c: GradientContribution, strategy: NormStrategy): boolean {
  if (c.kind === 'materialized') return false;
  switch (strategy) {
    case 'ghost':
      return true;
    case 'materialized':
      return false;
    case 'auto':
      return ghostIsCheaper(c);
    case 'mixed':
      return ghostNormIsCheaper(c);
  }
}

/** Per-example squared norms of one variable's gradients with the given strategy. */
export function variableNorms(
  given: GradientContribution,
  variableShape: number[],
  strategy: NormStrategy,
): VariableNorms {
  let c = given;
  if (c.kind === 'convolution') {
    const ghostWanted = ghostWantedFor(c, strategy);
    const fast = ghostWanted ? undefined : perExampleConvGradientsWasm(c.input, c.grad, c.geometry);
    if (fast !== undefined) {
      return {
        squaredNorms: fast.squaredNorms,
        perExample: tf.reshape(fast.perExample, [c.input.shape[0], ...variableShape]),
      };
    }
    c = convolutionAsOuter(c);
  }
  const ghost = ghostWantedFor(c, strategy);
  if (ghost && c.kind === 'outer') {
    if (c.left.shape[1] === 1) {
      // One position: ‖aᵢ gᵢᵀ‖² = ‖aᵢ‖²·‖gᵢ‖², no Gram matrix needed.
      const leftSq = tf.sum(tf.square(tf.reshape(c.left, [c.left.shape[0]!, -1])), 1);
      const rightSq = tf.sum(tf.square(tf.reshape(c.right, [c.right.shape[0]!, -1])), 1);
      return { squaredNorms: tf.mul(leftSq, rightSq) as tf.Tensor1D };
    }
    // Explicit transposes: the transpose flags of matMul take slow paths on wasm.
    const leftGram = tf.matMul(c.left, tf.transpose(c.left, [0, 2, 1]));
    const rightGram = tf.matMul(c.right, tf.transpose(c.right, [0, 2, 1]));
    return { squaredNorms: tf.sum(tf.mul(leftGram, rightGram), [1, 2]) as tf.Tensor1D };
  }
  if (ghost && c.kind === 'rows') {
    const fast = rowLookupSquaredNorms(c);
    if (fast !== undefined) return { squaredNorms: fast };
    const same = tf.cast(tf.equal(tf.expandDims(c.indices, 2), tf.expandDims(c.indices, 1)), 'float32');
    const rightGram = tf.matMul(c.right, tf.transpose(c.right, [0, 2, 1]));
    return { squaredNorms: tf.sum(tf.mul(same, rightGram), [1, 2]) as tf.Tensor1D };
  }
  if (c.kind === 'outer') {
    const fast = perExampleOuterWasm(c);
    if (fast !== undefined) {
      return {
        squaredNorms: fast.squaredNorms,
        perExample: tf.reshape(fast.perExample, [c.left.shape[0]!, ...variableShape]),
      };
    }
  }
  const perExample = materialize(c, variableShape);
  return { squaredNorms: squaredNormsOf(perExample), perExample };
}

/**
 * `Σᵢ factorsᵢ · gᵢ` for one variable, shaped like the variable: from the materialised per-example gradients when
 * they exist, otherwise straight from the records (one matrix product, or a scatter-add for row lookups). With
 * `keep` (`[B]` bool), examples where it is false contribute exactly zero whatever their values.
 */
export function clippedSum(
  given: GradientContribution,
  factors: tf.Tensor1D,
  variableShape: number[],
  perExample?: tf.Tensor,
  keep?: tf.Tensor1D,
): tf.Tensor {
  // Rows of dropped examples are replaced by zeros, not multiplied by 0: 0 · NaN would still be NaN.
  const rowsKept = (t: tf.Tensor) =>
    keep == null
      ? t
      : tf.where(tf.reshape(keep, [t.shape[0]!, ...t.shape.slice(1).map(() => 1)]), t, tf.zerosLike(t));
  if (perExample != null || given.kind === 'materialized') {
    const grads = rowsKept(perExample ?? (given as { perExample: tf.Tensor }).perExample);
    // factorsᵀ · G as one plain matrix product: a sum over the leading axis transposes first on wasm.
    const batch = factors.shape[0];
    const flat = tf.reshape(grads, [batch, -1]) as tf.Tensor2D;
    const fast = weightedRowSumWasm(flat, factors);
    if (fast !== undefined) return tf.reshape(fast, variableShape);
    return tf.reshape(tf.matMul(tf.reshape(factors, [1, batch]), flat), variableShape);
  }
  const c = given.kind === 'convolution' ? convolutionAsOuter(given) : given;
  const batch = factors.shape[0];
  const weights = tf.reshape(factors, [batch, 1, 1]);
  if (c.kind === 'outer') {
    const k = c.left.shape[2]!;
    const f = c.right.shape[2]!;
    const left = tf.reshape(rowsKept(c.left), [-1, k]);
    const right = tf.reshape(tf.mul(rowsKept(c.right), weights), [-1, f]);
    // Lᵀ·R with one explicit transpose of the narrower factor (the transpose flags are slow on wasm): either
    // transpose L, or compute Rᵀ·L and transpose the small [F, K] result.
    const product =
      k <= f ? tf.matMul(tf.transpose(left), right) : tf.transpose(tf.matMul(tf.transpose(right), left));
    return tf.reshape(product, variableShape);
  }
  const f = c.right.shape[2]!;
  const updates = tf.reshape(tf.mul(rowsKept(c.right), weights), [-1, f]);
  const indices = tf.reshape(c.indices, [-1, 1]);
  return tf.reshape(tf.scatterND(indices, updates, [c.rowCount, f]), variableShape);
}
