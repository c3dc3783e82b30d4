import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { ClippingOptions } from './clipping';
import {
  computeClippedGradients,
  type PerExampleLossFn,
  type PerExampleMethod,
} from './compute-clipped-gradients';
import { finiteRows } from './non-finite';
import { collectTrainableLayers, leafLayers } from './per-example/model-layers';
import type { AnyLayer } from './per-example/types';

/** Relative mismatch of per-example gradient norms above which {@link verifyPerExampleGradients} refuses. */
export const PER_EXAMPLE_CHECK_TOLERANCE = 1e-3;

/** Examples the first-step self-check of the engine compares (the first ones of the training set). */
export const PER_EXAMPLE_CHECK_EXAMPLES = 3;

/** Layers that draw fresh randomness in training mode: the check runs them as at inference (identity). */
const stochasticLayers = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/** Options of {@link verifyPerExampleGradients}. */
export interface PerExampleCheckOptions {
  /** The model, at the weights the gradients are taken at. */
  readonly model: AnyLayer;
  /** Per-example loss returning a `[B]` vector. */
  readonly lossFn: PerExampleLossFn;
  /** A few examples (two or more: one example alone cannot show mixing), leading axis = examples. */
  readonly x: tf.Tensor | tf.Tensor[];
  /** Their targets. */
  readonly y: tf.Tensor;
  /** The run's clipping (an adaptive threshold is read, never updated: the check releases nothing). */
  readonly clipping: ClippingOptions;
  /** The run's per-example method. */
  readonly perExampleMethod?: PerExampleMethod;
  /** Largest relative mismatch accepted; default {@link PER_EXAMPLE_CHECK_TOLERANCE}. */
  readonly tolerance?: number;
}

/** What {@link verifyPerExampleGradients} found when it passed. */
export interface PerExampleCheckResult {
  /** Examples compared. */
  readonly examples: number;
  /** Largest relative mismatch of a per-layer or whole-gradient norm. */
  readonly worstRelativeError: number;
  /** How the reference was computed: plain autodiff per example, or (without a kernel it needs) the engine on batches of one. */
  readonly reference: 'autodiff' | 'engine-batch-of-one';
}

/**
 * Thrown when the engine's per-example gradients disagree with an example-by-example backward pass: some layer's
 * batched backward mixes the examples (or a layer rule is wrong), so clipping would not bound each example's
 * influence.
 */
export class PerExampleMismatchError extends Error {
  /** Trainable layers whose per-example gradient norms disagree. */
  readonly mismatchedLayers: string[];
  /** The layers where the cause must lie, as far as a bisection by layer can tell. */
  readonly suspects: string[];
  /** Largest relative mismatch found. */
  readonly worstRelativeError: number;

  constructor(message: string, mismatchedLayers: string[], suspects: string[], worstRelativeError: number) {
    super(message);
    this.name = 'PerExampleMismatchError';
    this.mismatchedLayers = mismatchedLayers;
    this.suspects = suspects;
    this.worstRelativeError = worstRelativeError;
  }
}

/** Replaces `call` of the stochastic layers by the identity until the returned function restores them. */
function silenceStochasticLayers(model: AnyLayer): () => void {
  const patched: { layer: AnyLayer; own: PropertyDescriptor | undefined }[] = [];
  for (const layer of leafLayers(model)) {
    if (!stochasticLayers.has(layer.getClassName())) continue;
    patched.push({ layer, own: Object.getOwnPropertyDescriptor(layer, 'call') });
    const instance = layer as unknown as {
      call: (inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor | tf.Tensor[];
    };
    instance.call = (inputs) => (Array.isArray(inputs) ? inputs[0]! : inputs);
  }
  return () => {
    for (const { layer, own } of patched) {
      if (own === undefined) delete (layer as unknown as { call?: unknown }).call;
      else Object.defineProperty(layer, 'call', own);
    }
  };
}

function sliceExample(t: tf.Tensor, index: number): tf.Tensor {
  return tf.slice(t, index, 1);
}

/** `[examples][layers]` per-layer gradient norms by one plain `tf.variableGrads` per example. */
function autodiffLayerNorms(
  options: PerExampleCheckOptions,
  layerVariables: readonly (readonly LayerVariable[])[],
  examples: number,
): number[][] {
  const variables = layerVariables.flat();
  const out: number[][] = [];
  for (let i = 0; i < examples; i++) {
    const squared = tf.tidy(() => {
      const xi = Array.isArray(options.x)
        ? options.x.map((t) => sliceExample(t, i))
        : sliceExample(options.x, i);
      const yi = sliceExample(options.y, i);
      const { grads } = tf.variableGrads(
        () => {
          const prediction = options.model.apply(xi, { training: true }) as tf.Tensor;
          return tf.sum(options.lossFn(yi, prediction)) as tf.Scalar;
        },
        variables.map((v) => v.read() as tf.Variable),
      );
      return layerVariables.map((vars) =>
        vars.reduce((sum, v) => {
          const g = grads[v.name];
          if (g === undefined) throw new Error(`internal: no reference gradient for ${v.name}`);
          return sum + (tf.sum(tf.square(g)).dataSync()[0] as number);
        }, 0),
      );
    });
    out.push(squared.map(Math.sqrt));
  }
  return out;
}

/** The same norms from the engine itself, one example per call: a batch of one cannot mix examples. */
function batchOfOneLayerNorms(
  options: PerExampleCheckOptions,
  clipping: ClippingOptions,
  examples: number,
): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < examples; i++) {
    out.push(
      tf.tidy(() => {
        const result = computeClippedGradients({
          nonFinite: 'skip',
          model: options.model,
          lossFn: options.lossFn,
          x: Array.isArray(options.x) ? options.x.map((t) => sliceExample(t, i)) : sliceExample(options.x, i),
          y: sliceExample(options.y, i),
          clipping,
          ...(options.perExampleMethod === undefined ? {} : { perExampleMethod: options.perExampleMethod }),
        });
        return Array.from(result.perLayerNorms.dataSync());
      }),
    );
  }
  return out;
}

/**
 * The self-check the engine runs on the first step of a run: the per-example gradient norms the engine computes
 * for a few examples in one batch, per trainable layer, against an example-by-example backward pass (one plain
 * `tf.variableGrads` per example; where the backend lacks a kernel plain autodiff needs, the engine on batches of
 * one, which still exposes any mixing between the examples of a batch). Throws a
 * {@link PerExampleMismatchError} naming the layers that disagree and where the cause lies when a norm differs
 * by more than the tolerance, relative to the example's whole gradient norm. Consumes no randomness (stochastic
 * layers run as at inference), changes no weight and releases nothing.
 *
 * Cost: one engine pass over the examples plus one backward pass per example, once.
 */
export function verifyPerExampleGradients(options: PerExampleCheckOptions): PerExampleCheckResult {
  const tolerance = options.tolerance ?? PER_EXAMPLE_CHECK_TOLERANCE;
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be > 0, got ${String(tolerance)}`);
  const examples = options.y.shape[0] ?? 0;
  if (examples < 2) throw new RangeError(`the check needs at least 2 examples, got ${examples}`);
  // An adaptive threshold is only read: running the adaptive update here would release a count.
  const clipping: ClippingOptions =
    options.clipping.mode === 'adaptive'
      ? { mode: 'flat', maxGradNorm: options.clipping.state.maxGradNorm }
      : options.clipping;
  const entries = collectTrainableLayers(options.model);
  const layerNames = entries.map((entry) => entry.layer.name);
  const restore = silenceStochasticLayers(options.model);
  try {
    const engine = tf.tidy(() => {
      const result = computeClippedGradients({
        nonFinite: 'skip',
        model: options.model,
        lossFn: options.lossFn,
        x: options.x,
        y: options.y,
        clipping,
        ...(options.perExampleMethod === undefined ? {} : { perExampleMethod: options.perExampleMethod }),
      });
      if (result.layerNames.join('\u0000') !== layerNames.join('\u0000')) {
        throw new Error('internal: the engine reported its layers in another order');
      }
      const perLayer = result.perLayerNorms.arraySync() as number[][];
      return perLayer;
    });
    let reference: number[][];
    let kind: PerExampleCheckResult['reference'] = 'autodiff';
    try {
      reference = autodiffLayerNorms(
        options,
        entries.map((entry) => entry.variables),
        examples,
      );
    } catch (error) {
      // Stock wasm has no Conv2DBackpropFilter, for example: plain autodiff of such a model cannot run there.
      if (!/kernel|not (yet )?implemented|gradient function not found/i.test(String(error))) throw error;
      reference = batchOfOneLayerNorms(options, clipping, examples);
      kind = 'engine-batch-of-one';
    }
    return compareNorms(options.model, layerNames, engine, reference, tolerance, kind);
  } finally {
    restore();
  }
}

function compareNorms(
  model: AnyLayer,
  layerNames: readonly string[],
  engine: readonly number[][],
  reference: readonly number[][],
  tolerance: number,
  kind: PerExampleCheckResult['reference'],
): PerExampleCheckResult {
  let worst = 0;
  const layerWorst = layerNames.map(() => 0);
  for (let i = 0; i < reference.length; i++) {
    const want = reference[i]!;
    const got = engine[i]!;
    const total = Math.sqrt(want.reduce((s, v) => s + v * v, 0));
    // An example whose own gradient is not finite (a loss of log 0, say) is the step's nonFinite policy's
    // business; it shows nothing about mixing.
    if (!Number.isFinite(total)) continue;
    const engineTotal = Math.sqrt(got.reduce((s, v) => s + v * v, 0));
    // Relative to the example's whole gradient: a layer with a tiny norm must not fail on float rounding.
    const scale = Math.max(total, Number.MIN_VALUE);
    for (let l = 0; l < layerNames.length; l++) {
      const error = Math.abs(got[l]! - want[l]!) / scale;
      // NaN (a non-finite gradient on one side only) counts as a mismatch.
      const e = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
      layerWorst[l] = Math.max(layerWorst[l]!, e);
    }
    const totalError = Math.abs(engineTotal - total) / scale;
    worst = Math.max(worst, Number.isNaN(totalError) ? Number.POSITIVE_INFINITY : totalError);
  }
  worst = Math.max(worst, ...layerWorst);
  if (worst <= tolerance) return { examples: reference.length, worstRelativeError: worst, reference: kind };
  const mismatched = layerNames.filter((_, l) => layerWorst[l]! > tolerance);
  const suspects = suspectLayers(model, layerNames, mismatched);
  throw new PerExampleMismatchError(
    `per-example gradients are wrong: on ${reference.length} examples, the engine's per-example gradient norms ` +
      `differ from an example-by-example backward pass by up to ${worst.toPrecision(3)} (relative; tolerance ` +
      `${tolerance}) in the layers ${mismatched.map((n) => `"${n}"`).join(', ')}. ` +
      `The cause is among: ${suspects.join(', ')} — a layer whose batched backward mixes the examples of a batch ` +
      '(its gradient for one example depends on the others) or a wrong per-example rule. Clipping would not ' +
      'bound each example’s influence, so training is refused: replace that layer, or register a correct rule ' +
      'or kernel for it. (Skip this check with verifyPerExample: false only if you have verified the model.)',
    mismatched,
    suspects,
    worst,
  );
}

/**
 * Bisection by layer: a layer that mixes examples in its backward corrupts the gradients of every trainable
 * layer before it and of none after it. So the cause lies between the last disagreeing trainable layer (included:
 * its own rule may be the culprit) and the next agreeing one, in model order.
 */
function suspectLayers(
  model: AnyLayer,
  layerNames: readonly string[],
  mismatched: readonly string[],
): string[] {
  const leaves = leafLayers(model);
  const positions = mismatched.map((name) => leaves.findIndex((layer) => layer.name === name));
  const last = Math.max(...positions);
  const describe = (layer: AnyLayer) => `"${layer.name}" (${layer.getClassName()})`;
  const suspects = [describe(leaves[last]!)];
  for (let i = last + 1; i < leaves.length; i++) {
    const layer = leaves[i]!;
    if (layerNames.includes(layer.name)) break;
    suspects.push(describe(layer));
  }
  return suspects;
}

/** What the trainer checks on its first step: the run's model, loss, clipping and data. */
export interface RunPerExampleCheck {
  /** The run's model. */
  readonly model: AnyLayer;
  /** The run's per-example loss. */
  readonly lossFn: PerExampleLossFn;
  /** The training set; its first {@link PER_EXAMPLE_CHECK_EXAMPLES} examples are compared. */
  readonly data: { readonly x: tf.Tensor | tf.Tensor[]; readonly y: tf.Tensor };
  /** The run's clipping (an adaptive threshold is only read). */
  readonly clipping: ClippingOptions;
  /** The run's per-example method. */
  readonly perExampleMethod?: PerExampleMethod;
}

/**
 * Indices of the first `count` examples whose inputs and labels are finite, among the first
 * {@link CHECK_SCAN_ROWS}: a non-finite example is the step's `nonFinite` policy's business (refused or skipped
 * there, with the step named), not the self-check's.
 */
function finiteExamples(data: RunPerExampleCheck['data'], count: number): number[] {
  const rows = Math.min(CHECK_SCAN_ROWS, data.y.shape[0] ?? 0);
  const mask = tf.tidy(() => {
    const inputs = Array.isArray(data.x) ? data.x : [data.x];
    const parts = [...inputs, data.y].map((t) => finiteRows(tf.slice(t, 0, rows)));
    return parts.reduce((a, b) => tf.mul(a, b));
  });
  const finite = mask.dataSync();
  mask.dispose();
  const chosen: number[] = [];
  for (let i = 0; i < rows && chosen.length < count; i++) if (finite[i] === 1) chosen.push(i);
  return chosen;
}

/** Rows scanned for finite examples to check. */
const CHECK_SCAN_ROWS = 256;

/**
 * {@link verifyPerExampleGradients} on the first finite examples of the training set (fixed examples, so the check draws
 * nothing from the run's generators). A training set of one example has nothing to mix: it passes.
 */
export function verifyRunPerExample(run: RunPerExampleCheck): PerExampleCheckResult {
  const chosen = finiteExamples(run.data, PER_EXAMPLE_CHECK_EXAMPLES);
  const count = chosen.length;
  if (count < 2) return { examples: count, worstRelativeError: 0, reference: 'autodiff' };
  const indices = tf.tensor1d(chosen, 'int32');
  const x = Array.isArray(run.data.x)
    ? run.data.x.map((t) => tf.gather(t, indices))
    : tf.gather(run.data.x, indices);
  const y = tf.gather(run.data.y, indices);
  indices.dispose();
  try {
    return verifyPerExampleGradients({
      model: run.model,
      lossFn: run.lossFn,
      x,
      y,
      clipping: run.clipping,
      ...(run.perExampleMethod === undefined ? {} : { perExampleMethod: run.perExampleMethod }),
    });
  } finally {
    tf.dispose([x, y]);
  }
}
