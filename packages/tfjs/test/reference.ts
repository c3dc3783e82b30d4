import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable, layers } from '@tensorflow/tfjs-layers';
import type { ClippedGradients } from '../src/index';

/** Per-example mean squared error over all non-batch axes. */
export function mseLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const axes = yPred.shape.slice(1).map((_, i) => i + 1);
  return tf.mean(tf.square(tf.sub(yTrue, yPred)), axes);
}

/**
 * Independent reference: one plain `tf.variableGrads` per example, norms and clipping in float64 JavaScript.
 * `thresholdOf(layerName)` gives per-layer thresholds; otherwise one flat `maxGradNorm`.
 */
export function referenceClippedSums(
  model: LayersModel | layers.Layer,
  lossFn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  clip: number | Record<string, number>,
  mask?: number[],
): { sums: Map<string, Float64Array>; norms: number[] } {
  const layerOf = new Map<string, string>();
  const collect = (layer: layers.Layer) => {
    const inner = (layer as unknown as { layers?: layers.Layer[] }).layers;
    if (inner != null) inner.forEach(collect);
    else for (const v of layer.trainableWeights) layerOf.set(v.name, layer.name);
  };
  collect(model);
  const variables: LayerVariable[] = model.trainableWeights;
  const sums = new Map(
    variables.map((v) => [v.name, new Float64Array(v.shape.reduce((a, b) => a! * b!, 1)!)]),
  );
  const norms: number[] = [];
  const batch = y.shape[0]!;
  for (let i = 0; i < batch; i++) {
    if (mask != null && mask[i] === 0) {
      norms.push(0);
      continue;
    }
    const grads = tf.tidy(() => {
      const xi = Array.isArray(x) ? x.map((t) => tf.slice(t, i, 1)) : tf.slice(x, i, 1);
      const yi = tf.slice(y, i, 1);
      const { grads: g } = tf.variableGrads(
        () => tf.sum(lossFn(yi, model.apply(xi, { training: true }) as tf.Tensor)) as tf.Scalar,
        variables.map((v) => v.read() as tf.Variable),
      );
      return g;
    });
    const values = new Map(variables.map((v) => [v.name, Float64Array.from(grads[v.name]!.dataSync())]));
    for (const t of Object.values(grads)) t.dispose();
    const layerSq = new Map<string, number>();
    for (const [name, g] of values) {
      const layer = layerOf.get(name)!;
      layerSq.set(layer, (layerSq.get(layer) ?? 0) + g.reduce((s, v) => s + v * v, 0));
    }
    const total = Math.sqrt([...layerSq.values()].reduce((a, b) => a + b, 0));
    norms.push(total);
    for (const [name, g] of values) {
      const threshold = typeof clip === 'number' ? clip : clip[layerOf.get(name)!]!;
      const norm = typeof clip === 'number' ? total : Math.sqrt(layerSq.get(layerOf.get(name)!)!);
      const factor = Math.min(1, threshold / (norm + 1e-6));
      const sum = sums.get(name)!;
      for (let k = 0; k < g.length; k++) sum[k]! += factor * g[k]!;
    }
  }
  return { sums, norms };
}

/** Largest relative error `‖a − b‖ / ‖b‖` over variables. */
export function maxRelativeError(
  actual: Map<string, tf.Tensor>,
  expected: Map<string, Float64Array>,
): number {
  let worst = 0;
  if (actual.size !== expected.size)
    throw new Error(`got ${actual.size} variables, expected ${expected.size}`);
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (got == null) throw new Error(`missing gradient for ${name}`);
    const data = got.dataSync();
    if (data.length !== want.length) throw new Error(`size mismatch for ${name}`);
    let diff = 0;
    let norm = 0;
    for (let k = 0; k < want.length; k++) {
      diff += (data[k]! - want[k]!) ** 2;
      norm += want[k]! ** 2;
    }
    worst = Math.max(worst, Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30));
  }
  return worst;
}

/** Frees every tensor of an engine result. */
export function disposeResult(result: ClippedGradients): void {
  for (const t of result.gradients.values()) t.dispose();
  for (const t of [result.perExampleNorms, result.perLayerNorms, result.clipFactors, result.loss])
    t.dispose();
}
