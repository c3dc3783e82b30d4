import {
  CLIP_NORM_EPSILON,
  computeClippedGradients,
  type PerExampleMethod,
  trainableVariables,
} from '@cnm/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createModel, type ModelName, perExampleCrossEntropy } from './models';

/** Relative error above which a backend's clipped sums are wrong (float32 on a GPU: rounding is ~1e-6). */
export const CLIPPED_SUM_TOLERANCE = 1e-3;

/** One comparison of the engine's clipped sums on a backend with the example-by-example reference. */
export interface ClippingCheck {
  readonly backend: string;
  readonly model: ModelName;
  readonly method: PerExampleMethod;
  readonly examples: number;
  /** Examples whose gradient the threshold clipped, out of `examples` (the threshold is the median norm). */
  readonly clipped: number;
  /** ‖engine − reference‖ / ‖reference‖ over all variables' clipped sums; reference on the cpu backend. */
  readonly relativeError: number;
  /** The same for the example-by-example reference computed on the backend itself (the backend's own rounding). */
  readonly loopOnBackendRelativeError: number;
  /** Largest relative error of a per-example norm against the reference. */
  readonly normRelativeError: number;
  readonly ok: boolean;
}

/** Deterministic inputs in [0, 1) and labels, so every backend sees the same batch. */
function batchOf(count: number, featureCount: number, classCount: number) {
  const features = new Float32Array(count * featureCount);
  let state = 12345;
  for (let i = 0; i < features.length; i += 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    features[i] = state / 2 ** 32;
  }
  const labels = Int32Array.from({ length: count }, (_, i) => (i * 7) % classCount);
  return tf.tidy(() => ({
    x: tf.tensor2d(features, [count, featureCount]),
    y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classCount), 'float32'),
  }));
}

/** Example-by-example gradients from plain `tf.variableGrads`: flattened per variable, and each one's norm. */
function perExampleGradients(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, count: number) {
  const { variables } = trainableVariables(model);
  const gradients: Float32Array[][] = [];
  for (let i = 0; i < count; i += 1) {
    const grads = tf.tidy(() => {
      const xi = tf.slice(x, [i, 0], [1, -1]);
      const yi = tf.slice(y, [i, 0], [1, -1]);
      const { grads: byName } = tf.variableGrads(
        () =>
          tf.sum(perExampleCrossEntropy(yi, model.apply(xi, { training: true }) as tf.Tensor)) as tf.Scalar,
        variables,
      );
      return variables.map((v) => byName[v.name]!);
    });
    gradients.push(grads.map((g) => g.dataSync() as Float32Array));
    tf.dispose(grads);
  }
  const norms = gradients.map((grads) =>
    Math.sqrt(grads.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0)),
  );
  return { names: variables.map((v) => v.name), gradients, norms };
}

/** Σᵢ min(1, C / (‖gᵢ‖ + 1e-6)) gᵢ per variable, in float64. */
function clippedSums(gradients: Float32Array[][], norms: number[], maxGradNorm: number): Float64Array[] {
  const sums = gradients[0]!.map((g) => new Float64Array(g.length));
  gradients.forEach((grads, i) => {
    const factor = Math.min(1, maxGradNorm / (norms[i]! + CLIP_NORM_EPSILON));
    grads.forEach((g, v) => {
      const sum = sums[v]!;
      for (let j = 0; j < g.length; j += 1) sum[j]! += factor * g[j]!;
    });
  });
  return sums;
}

function relativeError(actual: ArrayLike<number>[], expected: ArrayLike<number>[]): number {
  let difference = 0;
  let reference = 0;
  expected.forEach((e, v) => {
    const a = actual[v]!;
    for (let j = 0; j < e.length; j += 1) {
      difference += (a[j]! - e[j]!) ** 2;
      reference += e[j]! ** 2;
    }
  });
  return Math.sqrt(difference) / Math.sqrt(reference);
}

/**
 * Checks the engine's clipped gradient sums on `backend` against an example-by-example reference built from
 * plain `tf.variableGrads` on the cpu backend (the test oracle), with a threshold at the median norm so that
 * about half the examples are clipped. The same model weights and batch are used on both backends.
 */
export async function checkClippedSums(
  backend: string,
  model: ModelName,
  methods: readonly PerExampleMethod[],
  examples = 8,
): Promise<ClippingCheck[]> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend (the reference) is unavailable');
  const network = createModel(model, 784, 10);
  const { x, y } = batchOf(examples, 784, 10);
  try {
    const reference = perExampleGradients(network, x, y, examples);
    const maxGradNorm = [...reference.norms].sort((a, b) => a - b)[Math.floor(examples / 2)]!;
    const expected = clippedSums(reference.gradients, reference.norms, maxGradNorm);
    const clipped = reference.norms.filter((n) => n + CLIP_NORM_EPSILON > maxGradNorm).length;
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend is unavailable`);
    const onBackend = perExampleGradients(network, x, y, examples);
    const loopOnBackendRelativeError = relativeError(
      clippedSums(onBackend.gradients, onBackend.norms, maxGradNorm),
      expected,
    );
    return methods.map((method) => {
      const result = computeClippedGradients({
        model: network,
        lossFn: perExampleCrossEntropy,
        x,
        y,
        maxGradNorm,
        perExampleMethod: method,
      });
      const actual = reference.names.map((name) => result.gradients.get(name)!.dataSync());
      const norms = result.perExampleNorms.dataSync();
      const normRelativeError = Math.max(...reference.norms.map((n, i) => Math.abs(norms[i]! - n) / n));
      tf.dispose([
        ...result.gradients.values(),
        result.perExampleNorms,
        result.perLayerNorms,
        result.clipFactors,
        result.loss,
      ]);
      const error = relativeError(actual, expected);
      return {
        backend,
        model,
        method,
        examples,
        clipped,
        relativeError: error,
        loopOnBackendRelativeError,
        normRelativeError,
        ok: error <= CLIPPED_SUM_TOLERANCE && normRelativeError <= CLIPPED_SUM_TOLERANCE,
      };
    });
  } finally {
    tf.dispose([x, y]);
    network.dispose();
  }
}
