import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { assertEngineBackend } from './backend/refused-backends';
import { batchSizeOf, chunkOf, maskValues } from './batch-chunks';
import {
  CLIP_NORM_EPSILON,
  type ClippingOptions,
  clippingSensitivity,
  releaseBatch,
  validateClipping,
} from './clipping';
import { NonFiniteExamplesError, type NonFinitePolicy, nonFiniteError, nonFiniteFlags } from './non-finite';
import {
  clippedSum,
  materialize,
  mergeContributions,
  type NormStrategy,
  variableNorms,
} from './per-example/contributions';
import { collectTrainableLayers, leafLayers, type TrainableLayer } from './per-example/model-layers';
import { recordPerExampleGradients } from './per-example/recording';
import type { AnyLayer, GradientContribution } from './per-example/types';
import { PerExampleCollector, type ReturnPerExample, validateReturnPerExample } from './per-example-outputs';
import { assertInteger } from './validate';
import { registerKernelFixes } from './wasm-kernels/kernel-fixes';

/**
 * How per-example gradients are obtained:
 * - `'bookkeeping'` (default): one recording forward pass, one backward pass to the layer outputs only (no weight
 *   gradient by autodiff), norms per layer by the cheaper of ghost and materialised, clipped sums from the records;
 * - `'ghost'`: Gram-matrix (ghost) norms for every layer (Li et al. 2021), then a second ordinary backward pass of
 *   the clip-weighted loss;
 * - `'mixed-ghost'`: like `'ghost'`, but each layer's norm from Gram matrices only where they are smaller than
 *   its per-example gradient (`2T² < K·F`; mixed ghost clipping, Bu et al. 2022), else from the materialised
 *   per-example gradient, which is dropped right after; bounded memory for convolutions on large images;
 * - `'materialized'`: per-example gradients of every variable formed, then normed and weighted-summed;
 * - `'loop'`: one ordinary backward pass per example (the slow reference).
 */
export type PerExampleMethod = 'bookkeeping' | 'ghost' | 'mixed-ghost' | 'materialized' | 'loop';

const methods: readonly PerExampleMethod[] = ['bookkeeping', 'ghost', 'mixed-ghost', 'materialized', 'loop'];

/** The methods that take the clipped sum from a second backward pass of the clip-weighted loss. */
function hasSecondPass(method: PerExampleMethod): method is 'ghost' | 'mixed-ghost' {
  return method === 'ghost' || method === 'mixed-ghost';
}

const normStrategies: Record<Exclude<PerExampleMethod, 'loop'>, NormStrategy> = {
  bookkeeping: 'auto',
  ghost: 'ghost',
  'mixed-ghost': 'mixed',
  materialized: 'materialized',
};

/** Layers that draw fresh randomness on every training-mode call. */
const stochasticLayers = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/** Per-example loss: `(yTrue, yPred) => [B]`, example `i`'s loss depending on example `i` only. */
export type PerExampleLossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Options of {@link computeClippedGradients}. */
export interface ClippedGradientsOptions {
  /** The model (Sequential, functional, nested); called as `model.apply(x, { training: true })`. */
  readonly model: AnyLayer;
  /** Per-example loss function returning a `[B]` vector. */
  readonly lossFn: PerExampleLossFn;
  /** Inputs of the logical batch, leading axis = examples (an array for multi-input models). */
  readonly x: tf.Tensor | tf.Tensor[];
  /** Targets of the logical batch, leading axis = examples. */
  readonly y: tf.Tensor;
  /** Shorthand for `clipping: { mode: 'flat', maxGradNorm }`. */
  readonly maxGradNorm?: number;
  /** Clipping mode; default flat with {@link ClippedGradientsOptions.maxGradNorm}. */
  readonly clipping?: ClippingOptions;
  /** Per-example gradient method; default `'bookkeeping'`. */
  readonly perExampleMethod?: PerExampleMethod;
  /**
   * Examples per physical chunk (bounds memory; results are the same up to float rounding). The last chunk is
   * padded to this size with masked copies of a real example, so every chunk has the same shape. Default: the
   * logical batch size.
   */
  readonly physicalBatchSize?: number;
  /**
   * `[B]` weights in {0, 1}: 0 marks padding rows that must not count (e.g. a Poisson batch padded to a fixed
   * shape). Padding rows must still give a finite loss. Default: all ones.
   */
  readonly mask?: tf.Tensor1D | readonly number[];
  /**
   * Examples whose inputs, labels, loss or gradient are not finite: `'error'` (default) throws a
   * `NonFiniteExamplesError` naming their positions in the batch and the tensors; `'skip'` leaves them out of the
   * sums (clip factor 0) and counts them in {@link ClippedGradients.skippedExamples}.
   */
  readonly nonFinite?: NonFinitePolicy;
  /** Compute the mean loss of the batch (default true); false gives a `NaN` loss, computed from nothing. */
  readonly computeLoss?: boolean;
  /**
   * Also return each example's unclipped gradients (`'gradients'`, in
   * {@link ClippedGradients.perExampleGradients}) or each example's squared norm per variable (`'norms'`, in
   * {@link ClippedGradients.perExampleSquaredNorms}). Memory: `'gradients'` holds batch size × parameter count
   * floats (1 GiB for 1024 examples of a 262k-parameter model); `'norms'` batch size floats per variable.
   * Privacy-sensitive: never log or release them. Default: neither.
   */
  readonly returnPerExample?: ReturnPerExample;
}

/** Result of {@link computeClippedGradients}; the caller owns (and disposes) every tensor in it. */
export interface ClippedGradients {
  /** `Σᵢ cᵢ·gᵢ` per trainable variable name (not normalised: the optimizer adds noise and divides). */
  readonly gradients: Map<string, tf.Tensor>;
  /** `[B]` L2 norm of each example's whole gradient before clipping (privacy-sensitive: do not log). */
  readonly perExampleNorms: tf.Tensor1D;
  /** `[B, L]` per-layer norms before clipping, columns in {@link ClippedGradients.layerNames} order. */
  readonly perLayerNorms: tf.Tensor2D;
  /** `[B]` clip factors (flat/adaptive), or `[B, L]` per-layer factors (perLayer); 0 for masked rows. */
  readonly clipFactors: tf.Tensor;
  /** Names of the trainable layers, the columns of the per-layer tensors. */
  readonly layerNames: string[];
  /** Mean per-example loss over the real (unmasked), finite examples; `NaN` with `computeLoss: false`. */
  readonly loss: tf.Scalar;
  /** Number of real (unmasked) examples, skipped ones included. */
  readonly exampleCount: number;
  /** Real examples left out of the sums because they were not finite (`nonFinite: 'skip'`). */
  readonly skippedExamples: number;
  /** L2 sensitivity of the clipped sums: the threshold used (flat/adaptive) or `sqrt(Σ thresholdₗ²)`. */
  readonly sensitivity: number;
  /** Adaptive clipping only: the noisy unclipped fraction released for this batch. */
  readonly noisyUnclippedFraction?: number;
  /** With `returnPerExample: 'gradients'`: `[B, ...variableShape]` unclipped per-example gradients by variable name. */
  readonly perExampleGradients?: Map<string, tf.Tensor>;
  /** With `returnPerExample: 'norms'`: `[B]` squared norms of each example's unclipped gradient, by variable name. */
  readonly perExampleSquaredNorms?: Map<string, tf.Tensor>;
}

interface ChunkResult {
  sums: Map<string, tf.Tensor>;
  layerSquaredNorms: tf.Tensor2D;
  factors: tf.Tensor;
  lossSum: tf.Scalar;
  /** Non-finite flags of the chunk's rows (see `nonFiniteFlags`), 0 for padding. */
  flags: Int32Array;
  /** Per-example outputs by variable name, when asked for. */
  perExample?: Map<string, tf.Tensor>;
}

/** The clipping asked for (`clipping`, or its shorthand `maxGradNorm`), before it is checked. */
function clippingOf(options: ClippedGradientsOptions): ClippingOptions {
  if (options.clipping != null && options.maxGradNorm != null) {
    throw new TypeError('give either maxGradNorm or clipping, not both');
  }
  if (options.clipping != null) return options.clipping;
  if (options.maxGradNorm == null) throw new TypeError('maxGradNorm or clipping is required');
  return { mode: 'flat', maxGradNorm: options.maxGradNorm };
}

function perExampleLoss(
  options: ClippedGradientsOptions,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
): tf.Tensor1D {
  const prediction = options.model.apply(x, { training: true });
  if (!(prediction instanceof tf.Tensor)) {
    throw new TypeError('model must have exactly one output tensor');
  }
  const loss = options.lossFn(y, prediction);
  if (loss.rank !== 1 || loss.shape[0] !== y.shape[0]) {
    throw new RangeError(
      `lossFn must return a per-example loss of shape [${y.shape[0]}], got [${loss.shape}]`,
    );
  }
  return loss as tf.Tensor1D;
}

/** Clip factors from `[B, L]` squared per-layer norms; `[B]` for one threshold, `[B, L]` per layer. */
function clipFactorsFor(
  layerSquaredNorms: tf.Tensor2D,
  mask: tf.Tensor1D,
  clipping: ClippingOptions,
  threshold: number,
  layerNames: string[],
): tf.Tensor {
  return tf.tidy(() => {
    if (clipping.mode === 'perLayer') {
      const thresholds = tf.tensor1d(layerNames.map((name) => clipping.thresholds[name]!));
      const norms = tf.sqrt(layerSquaredNorms);
      const factors = tf.minimum(1, tf.div(thresholds, tf.add(norms, CLIP_NORM_EPSILON)));
      return tf.mul(factors, tf.expandDims(mask, 1));
    }
    const norms = tf.sqrt(tf.sum(layerSquaredNorms, 1));
    return tf.mul(tf.minimum(1, tf.div(threshold, tf.add(norms, CLIP_NORM_EPSILON))), mask);
  });
}

/** `t` with the rows (leading index) where `keep` is false replaced by zeros (0 · NaN would stay NaN). */
function zeroRows(t: tf.Tensor, keep: tf.Tensor1D): tf.Tensor {
  const shape = [t.shape[0]!, ...t.shape.slice(1).map(() => 1)];
  return tf.where(tf.reshape(keep, shape), t, tf.zerosLike(t));
}

function factorForLayer(factors: tf.Tensor, layerIndex: number): tf.Tensor1D {
  return factors.rank === 1
    ? (factors as tf.Tensor1D)
    : (tf.reshape(tf.slice(factors, [0, layerIndex], [-1, 1]), [-1]) as tf.Tensor1D);
}

function recordedChunk(
  options: ClippedGradientsOptions,
  entries: readonly TrainableLayer[],
  method: Exclude<PerExampleMethod, 'loop'>,
  clipping: ClippingOptions,
  threshold: number,
  layerNames: string[],
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  mask: tf.Tensor1D,
): ChunkResult {
  const strategy = normStrategies[method];
  const secondPass = hasSecondPass(method);
  const wanted = options.returnPerExample;
  const perExampleOut = new Map<string, tf.Tensor>();
  const recording = recordPerExampleGradients(entries, () => perExampleLoss(options, x, y), mask);
  try {
    const byVariable = new Map<LayerVariable, { layerIndex: number; parts: GradientContribution[] }>();
    for (const call of recording.calls) {
      const layerIndex = entries.indexOf(call.entry);
      const produced = call.entry.rule.contributions(call.entry.layer, call.record, call.tapGradients);
      for (const variable of call.entry.variables) {
        const contribution = produced.get(variable);
        if (contribution == null) {
          throw new Error(
            `the rule for layer "${call.entry.layer.name}" (${call.entry.layer.getClassName()}) gave no gradient for variable "${variable.name}"`,
          );
        }
        const slot = byVariable.get(variable) ?? { layerIndex, parts: [] };
        slot.parts.push(contribution);
        byVariable.set(variable, slot);
      }
    }
    const batch = mask.shape[0];
    const layerSquared: tf.Tensor1D[] = entries.map(() => tf.zeros([batch]) as tf.Tensor1D);
    const perVariable: {
      variable: LayerVariable;
      layerIndex: number;
      merged: GradientContribution;
      perExample?: tf.Tensor;
    }[] = [];
    for (const [variable, { layerIndex, parts }] of byVariable) {
      const shape = variable.shape as number[];
      const merged = mergeContributions(parts, shape);
      if (wanted === 'gradients' && secondPass) perExampleOut.set(variable.name, materialize(merged, shape));
      if (secondPass) {
        // Only the norm is needed: free the Gram matrices or the materialised gradient (mixed ghost) now, not at
        // the end of the chunk, so that memory holds one layer's at a time.
        const squared = tf.tidy(() => variableNorms(merged, shape, strategy).squaredNorms);
        layerSquared[layerIndex] = tf.add(layerSquared[layerIndex]!, squared);
        if (wanted === 'norms') perExampleOut.set(variable.name, squared);
        continue;
      }
      const norms = variableNorms(merged, shape, strategy);
      layerSquared[layerIndex] = tf.add(layerSquared[layerIndex]!, norms.squaredNorms);
      if (wanted === 'norms') perExampleOut.set(variable.name, norms.squaredNorms);
      if (wanted === 'gradients') {
        perExampleOut.set(variable.name, norms.perExample ?? materialize(merged, shape));
      }
      perVariable.push({
        variable,
        layerIndex,
        merged,
        ...(norms.perExample != null ? { perExample: norms.perExample } : {}),
      });
    }
    const layerSquaredNorms = tf.stack(layerSquared, 1) as tf.Tensor2D;
    // The finiteness of inputs, labels, loss and gradient, read once with the chunk: an example that is not
    // finite is refused, or dropped (factor 0, rows zeroed) rather than turning the whole sum into NaN.
    // Padding rows (mask 0) copy a real example: they are zeroed with it but neither refused nor counted.
    const rowFlags = nonFiniteFlags(x, y, recording.perExampleLoss, tf.sum(layerSquaredNorms, 1));
    const both = tf.stack([rowFlags, tf.mul(rowFlags, tf.cast(mask, 'int32'))]).dataSync();
    const batchSize = mask.shape[0];
    const flags = Int32Array.from(both.subarray(batchSize));
    if (options.nonFinite !== 'skip' && flags.some((f) => f !== 0)) throw nonFiniteError(flags);
    const keep = both.subarray(0, batchSize).every((f) => f === 0)
      ? undefined
      : (tf.equal(rowFlags, 0) as tf.Tensor1D);
    let factors = clipFactorsFor(layerSquaredNorms, mask, clipping, threshold, layerNames);
    if (keep != null) factors = zeroRows(factors, keep);
    const sums = new Map<string, tf.Tensor>();
    if (secondPass && keep != null) {
      throw new RangeError(
        `an example has a non-finite gradient: perExampleMethod "${method}" cannot drop it from its second pass; use "bookkeeping" (or nonFinite: 'error')`,
      );
    }
    if (!secondPass) {
      for (const { variable, layerIndex, merged, perExample } of perVariable) {
        const weights = factorForLayer(factors, layerIndex);
        sums.set(variable.name, clippedSum(merged, weights, variable.shape as number[], perExample, keep));
      }
    }
    const lossSum =
      options.computeLoss === false
        ? tf.scalar(0)
        : (tf.sum(
            tf.mul(
              keep == null
                ? recording.perExampleLoss
                : tf.where(keep, recording.perExampleLoss, tf.zerosLike(recording.perExampleLoss)),
              mask,
            ),
          ) as tf.Scalar);
    return {
      sums,
      layerSquaredNorms,
      factors,
      lossSum,
      flags,
      ...(wanted != null ? { perExample: perExampleOut } : {}),
    };
  } finally {
    recording.dispose();
  }
}

/** Ghost clipping's second pass: an ordinary backward pass of `Σᵢ cᵢ·lossᵢ` (weight gradients by autodiff). */
function weightedBackward(
  options: ClippedGradientsOptions,
  entries: readonly TrainableLayer[],
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  factors: tf.Tensor1D,
): Map<string, tf.Tensor> {
  const variables = entries.flatMap((e) => e.variables.map((v) => v.read() as tf.Variable));
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(perExampleLoss(options, x, y), factors)), variables);
  return new Map(Object.entries(grads));
}

function loopChunk(
  options: ClippedGradientsOptions,
  entries: readonly TrainableLayer[],
  clipping: ClippingOptions,
  threshold: number,
  layerNames: string[],
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  mask: Float32Array,
): ChunkResult {
  const variables = entries.flatMap((e, layerIndex) => e.variables.map((v) => ({ v, layerIndex })));
  const batch = mask.length;
  const sums = new Map<string, tf.Tensor>(variables.map(({ v }) => [v.name, tf.zeros(v.shape as number[])]));
  const squared = new Float32Array(batch * entries.length);
  const losses: number[] = [];
  const perExampleGrads: Map<string, tf.Tensor>[] = [];
  const finite: boolean[] = [];
  const flags = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    const xi = Array.isArray(x) ? x.map((t) => tf.slice(t, i, 1)) : tf.slice(x, i, 1);
    const yi = tf.slice(y, i, 1);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(perExampleLoss(options, xi, yi)) as tf.Scalar,
      variables.map(({ v }) => v.read() as tf.Variable),
    );
    let total = 0;
    for (const { v, layerIndex } of variables) {
      const sq = tf.sum(tf.square(grads[v.name]!)).dataSync()[0]!;
      squared[i * entries.length + layerIndex]! += sq;
      total += sq;
    }
    // Like the recorded methods: a non-finite example is refused, or dropped rather than summed as NaN.
    const flag = nonFiniteFlags(xi, yi, tf.reshape(value, [1]), tf.tensor1d([total])).dataSync()[0]!;
    flags[i] = mask[i] === 0 ? 0 : flag;
    finite.push(flag === 0);
    losses.push(finite[i] ? value.dataSync()[0]! * mask[i]! : 0);
    perExampleGrads.push(new Map(Object.entries(grads)));
  }
  if (options.nonFinite !== 'skip' && flags.some((f) => f !== 0)) throw nonFiniteError(flags);
  const layerSquaredNorms = tf.tensor2d(squared, [batch, entries.length]);
  const maskTensor = tf.tensor1d(mask);
  const factors = zeroRows(
    clipFactorsFor(layerSquaredNorms, maskTensor, clipping, threshold, layerNames),
    tf.tensor1d(finite.map(Number), 'bool'),
  );
  const factorValues = factors.dataSync();
  for (let i = 0; i < batch; i++) {
    if (!finite[i]) continue;
    for (const { v, layerIndex } of variables) {
      const c = factors.rank === 1 ? factorValues[i]! : factorValues[i * entries.length + layerIndex]!;
      const previous = sums.get(v.name)!;
      sums.set(v.name, tf.add(previous, tf.mul(perExampleGrads[i]!.get(v.name)!, c)));
    }
  }
  const lossSum = tf.scalar(losses.reduce((a, b) => a + b, 0));
  const wanted = options.returnPerExample;
  if (wanted == null) return { sums, layerSquaredNorms, factors, lossSum, flags };
  const perExample = new Map<string, tf.Tensor>();
  for (const { v } of variables) {
    const grads = perExampleGrads.map((g) => g.get(v.name)!);
    perExample.set(
      v.name,
      wanted === 'gradients' ? tf.stack(grads) : tf.stack(grads.map((g) => tf.sum(tf.square(g)))),
    );
  }
  return { sums, layerSquaredNorms, factors, lossSum, flags, perExample };
}

/**
 * Runs one chunk in a tidy scope; on failure frees the sums accumulated so far (`held`), and gives the positions
 * of non-finite examples in the batch rather than in the chunk.
 */
function inChunk<T extends tf.TensorContainer>(start: number, held: tf.Tensor[], run: () => T): T {
  try {
    return tf.tidy(run);
  } catch (error) {
    tf.dispose(held);
    if (error instanceof NonFiniteExamplesError && start > 0) {
      throw new NonFiniteExamplesError(
        error.indices.map((i) => i + start),
        error.parts,
      );
    }
    throw error;
  }
}

/**
 * Clipped per-example gradient sums of one logical batch: every example's gradient is clipped (to one threshold,
 * per-layer thresholds, or an adaptive threshold) and the clipped gradients summed, per trainable variable. Noise
 * and normalisation are the optimizer's job. Works on Sequential, functional and nested tfjs-layers models; a
 * trainable layer without a registered rule ({@link registerLayerRule}) gets the exact but slower fallback (one
 * backward pass of that layer per example, with a one-time warning); frozen variables are left out.
 */
export function computeClippedGradients(options: ClippedGradientsOptions): ClippedGradients {
  if (options == null || options.model == null) throw new TypeError('options.model is required');
  if (typeof options.lossFn !== 'function') throw new TypeError('options.lossFn must be a function');
  // Some stock cpu and wasm gradient kernels mix the examples of a batch or are wrong otherwise.
  registerKernelFixes();
  assertEngineBackend();
  const method = options.perExampleMethod ?? 'bookkeeping';
  if (!methods.includes(method)) {
    throw new RangeError(
      `perExampleMethod must be one of ${methods.join(', ')}, got ${JSON.stringify(method)}`,
    );
  }
  const clipping = clippingOf(options);
  const returnPerExample = validateReturnPerExample(options.returnPerExample);
  const size = batchSizeOf(options.x, options.y);
  const physical = options.physicalBatchSize ?? size;
  assertInteger('physicalBatchSize', physical, 1);
  const maskAll = maskValues(options.mask, size);
  // A Sequential model builds lazily on its first call, and building resets every variable's trainable flag:
  // build it first so the variables collected here are the ones the passes will see.
  const lazy = options.model as AnyLayer & { built: boolean; build(): void; inputs?: unknown[] };
  if (!lazy.built && options.model.getClassName() === 'Sequential' && (lazy.inputs?.length ?? 0) > 0)
    lazy.build();
  const entries = collectTrainableLayers(options.model);
  const layerNames = entries.map((e) => e.layer.name);
  validateClipping(clipping, layerNames);
  if (clipping.mode === 'perLayer') {
    if (hasSecondPass(method)) {
      throw new RangeError(
        `perExampleMethod "${method}" needs one clip factor per example: use flat or adaptive clipping`,
      );
    }
  }
  if (hasSecondPass(method)) {
    // Ghost clipping runs the model twice: a layer drawing new noise in the second pass would give gradients other
    // than the ones whose norms were clipped, and the sensitivity bound would no longer hold.
    const stochastic = leafLayers(options.model).find((layer) => stochasticLayers.has(layer.getClassName()));
    if (stochastic != null) {
      throw new RangeError(
        `perExampleMethod "${method}" cannot be used with the stochastic layer "${stochastic.name}" (${stochastic.getClassName()}): its two passes would differ; use "bookkeeping"`,
      );
    }
  }
  // The threshold of flat and adaptive clipping (per-layer clipping reads its thresholds).
  const threshold = clipping.mode === 'perLayer' ? 0 : clippingSensitivity(clipping);
  const inputs = Array.isArray(options.x) ? options.x : [options.x];

  const sums = new Map<string, tf.Tensor>();
  const norms: tf.Tensor2D[] = [];
  const factors: tf.Tensor[] = [];
  const perExampleParts = new PerExampleCollector();
  let lossSum: tf.Scalar = tf.scalar(0);
  const flags = new Int32Array(size);
  for (let start = 0; start < size; start += physical) {
    const count = Math.min(physical, size - start);
    const chunk = inChunk(start, [...sums.values(), ...norms, ...factors, lossSum], () => {
      const xs = inputs.map((t) => chunkOf(t, start, count, physical));
      const x = Array.isArray(options.x) ? xs : xs[0]!;
      const y = chunkOf(options.y, start, count, physical);
      const maskChunk = new Float32Array(physical);
      maskChunk.set(maskAll.subarray(start, start + count));
      let result: ChunkResult;
      if (method === 'loop') {
        result = loopChunk(options, entries, clipping, threshold, layerNames, x, y, maskChunk);
      } else {
        const mask = tf.tensor1d(maskChunk);
        result = recordedChunk(options, entries, method, clipping, threshold, layerNames, x, y, mask);
        if (hasSecondPass(method))
          result.sums = weightedBackward(options, entries, x, y, result.factors as tf.Tensor1D);
      }
      const trim = <T extends tf.Tensor>(t: T): T => (count === physical ? t : (tf.slice(t, 0, count) as T));
      return {
        sums: Object.fromEntries(result.sums),
        layerSquaredNorms: trim(result.layerSquaredNorms),
        factors: trim(result.factors),
        lossSum: result.lossSum,
        flags: result.flags.subarray(0, count),
        perExample: Object.fromEntries([...(result.perExample ?? [])].map(([name, t]) => [name, trim(t)])),
      };
    });
    flags.set(chunk.flags, start);
    for (const [name, g] of Object.entries(chunk.sums)) {
      const previous = sums.get(name);
      if (previous == null) sums.set(name, g);
      else {
        sums.set(name, tf.add(previous, g));
        previous.dispose();
        g.dispose();
      }
    }
    for (const [name, t] of Object.entries(chunk.perExample)) perExampleParts.add(name, t);
    norms.push(chunk.layerSquaredNorms);
    factors.push(chunk.factors);
    const total = tf.add(lossSum, chunk.lossSum) as tf.Scalar;
    lossSum.dispose();
    chunk.lossSum.dispose();
    lossSum = total;
  }

  // In model order; a trainable layer the forward pass never reached has a zero gradient, listed so that every
  // trainable variable gets its noise from the optimizer.
  const gradients = new Map<string, tf.Tensor>();
  for (const entry of entries) {
    for (const v of entry.variables) gradients.set(v.name, sums.get(v.name) ?? tf.zeros(v.shape as number[]));
  }
  const exampleCount = maskAll.reduce((a, b) => a + b, 0);
  const skippedExamples = flags.reduce((n, f) => n + (f === 0 ? 0 : 1), 0);
  const kept = exampleCount - skippedExamples;
  const result = tf.tidy(() => {
    const layerSquaredNorms = norms.length === 1 ? norms[0]! : tf.concat(norms, 0);
    const perLayerNorms = tf.sqrt(layerSquaredNorms) as tf.Tensor2D;
    const perExampleNorms = tf.sqrt(tf.sum(layerSquaredNorms, 1)) as tf.Tensor1D;
    const clipFactors = factors.length === 1 ? tf.clone(factors[0]!) : tf.concat(factors, 0);
    const loss =
      options.computeLoss === false || kept === 0
        ? tf.scalar(Number.NaN)
        : (tf.div(lossSum, kept) as tf.Scalar);
    return { perLayerNorms, perExampleNorms, clipFactors, loss };
  });
  for (const t of [...norms, ...factors, lossSum]) t.dispose();

  const released = releaseBatch(
    clipping,
    clipping.mode === 'adaptive' ? result.perExampleNorms.dataSync() : [],
    Int32Array.from(maskAll, (m, i) => (m === 1 && flags[i] === 0 ? 1 : 0)),
    kept,
  );
  const variableNames = entries.flatMap((e) => e.variables.map((v) => v.name));
  const shapeOf = new Map(entries.flatMap((e) => e.variables.map((v) => [v.name, v.shape as number[]])));
  const perExample =
    returnPerExample == null
      ? undefined
      : perExampleParts.finish(variableNames, (name) =>
          returnPerExample === 'gradients' ? [size, ...shapeOf.get(name)!] : [size],
        );
  return {
    gradients,
    ...result,
    ...(returnPerExample === 'gradients' ? { perExampleGradients: perExample! } : {}),
    ...(returnPerExample === 'norms' ? { perExampleSquaredNorms: perExample! } : {}),
    layerNames,
    exampleCount,
    skippedExamples,
    ...released,
  };
}
