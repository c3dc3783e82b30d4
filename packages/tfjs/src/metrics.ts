/**
 * Evaluation metrics named as tfjs's `model.compile({ metrics })` names them, resolved for the model's
 * output: a single output is thresholded where its decision boundary is (0.5 for probabilities, 0 for logits,
 * the same decision since sigmoid(0) = 0.5), several outputs by their argmax against one-hot or sparse labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyLayer } from './per-example/types';

/** The metric names tfjs's `compile` accepts that the engine evaluates. */
export type MetricName =
  | 'accuracy'
  | 'acc'
  | 'binaryAccuracy'
  | 'categoricalAccuracy'
  | 'sparseCategoricalAccuracy';

/** A metric function as tfjs takes one: `(yTrue, yPred) => ` per-example values (averaged over the data). */
export type MetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** A metric of {@link PrivateTrainer.evaluate}: a name or a function. */
export type Metric = MetricName | MetricFn;

/** What a model's output holds: probabilities (sigmoid/softmax output activation) or logits. */
export type OutputKind = 'logits' | 'probabilities';

/** The metric names, in the order tfjs documents them. */
export const METRIC_NAMES: readonly MetricName[] = Object.freeze([
  'accuracy',
  'acc',
  'binaryAccuracy',
  'categoricalAccuracy',
  'sparseCategoricalAccuracy',
]);

/** A validated metric: its name in results, and its per-example values `[B]` for a batch. */
export interface ResolvedMetric {
  /** Key of the metric in {@link EvaluationResult.metrics}: its name, or the function's name. */
  readonly name: string;
  /** Per-example values `[B]` of the batch. */
  perExample(yTrue: tf.Tensor, yPred: tf.Tensor, outputKind: OutputKind): tf.Tensor1D;
}

const PROBABILITY_ACTIVATIONS = new Set(['sigmoid', 'softmax', 'hardSigmoid', 'hard_sigmoid']);

/**
 * Whether the model outputs probabilities or logits, from the activation of its output layer: sigmoid and
 * softmax give probabilities, any other activation (linear included) logits. A model whose output layer has no
 * activation setting (a custom layer) is taken to give probabilities, as tfjs's metrics assume.
 */
export function outputKindOf(model: AnyLayer): OutputKind {
  const outputs = (model as unknown as { outputLayers?: AnyLayer[]; layers?: AnyLayer[] }).outputLayers;
  const layers = (model as unknown as { layers?: AnyLayer[] }).layers;
  const last = outputs?.[0] ?? layers?.[layers.length - 1] ?? model;
  let activation: unknown;
  try {
    activation = (last.getConfig() as { activation?: unknown }).activation;
  } catch {
    return 'probabilities';
  }
  if (typeof activation !== 'string') return 'probabilities';
  return PROBABILITY_ACTIVATIONS.has(activation) ? 'probabilities' : 'logits';
}

/** Per-example values `[B]` from values with a leading example axis (the mean over the other axes). */
function perRow(values: tf.Tensor, batch: number, name: string): tf.Tensor1D {
  if (values.rank === 0 || values.shape[0] !== batch) {
    throw new RangeError(
      `metric '${name}' must return per-example values with a leading axis of ${batch} (the batch), got shape [${values.shape.join(', ')}]`,
    );
  }
  return tf.mean(tf.reshape(tf.cast(values, 'float32'), [batch, -1]), 1) as tf.Tensor1D;
}

function binaryAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor, kind: OutputKind): tf.Tensor1D {
  const threshold = kind === 'logits' ? 0 : 0.5;
  const predicted = tf.greater(yPred, threshold);
  const truth = tf.greater(tf.reshape(yTrue, predicted.shape), 0.5);
  return perRow(tf.equal(predicted, truth), yPred.shape[0] as number, 'binaryAccuracy');
}

function categoricalAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
  return tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), 'float32') as tf.Tensor1D;
}

function sparseCategoricalAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
  const labels = tf.cast(tf.reshape(yTrue, [yPred.shape[0] as number]), 'int32');
  return tf.cast(tf.equal(labels, tf.argMax(yPred, -1)), 'float32') as tf.Tensor1D;
}

/** `'accuracy'` as tfjs resolves it: binary for one output, categorical for one-hot labels, else sparse. */
function accuracy(yTrue: tf.Tensor, yPred: tf.Tensor, kind: OutputKind): tf.Tensor1D {
  const width = yPred.rank > 1 ? (yPred.shape[yPred.rank - 1] as number) : 1;
  if (width === 1) return binaryAccuracy(yTrue, yPred, kind);
  const oneHot = yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === width;
  return oneHot ? categoricalAccuracy(yTrue, yPred) : sparseCategoricalAccuracy(yTrue, yPred);
}

const BY_NAME: Readonly<Record<MetricName, ResolvedMetric['perExample']>> = {
  accuracy,
  acc: accuracy,
  binaryAccuracy,
  categoricalAccuracy: (yTrue, yPred) => categoricalAccuracy(yTrue, yPred),
  sparseCategoricalAccuracy: (yTrue, yPred) => sparseCategoricalAccuracy(yTrue, yPred),
};

/** The default accuracy of {@link PrivateTrainer.evaluate} (`'accuracy'` resolved for the model's output). */
export const ACCURACY: ResolvedMetric = { name: 'accuracy', perExample: accuracy };

/**
 * Checks a `metrics` option (an array of {@link Metric}, or one) and resolves it; `name` is the option named in
 * errors. Two metrics of the same name are refused (their results would share a key).
 */
export function resolveMetrics(value: unknown, name: string): ResolvedMetric[] {
  const list = Array.isArray(value) ? value : [value];
  const resolved = list.map((metric, i): ResolvedMetric => {
    if (typeof metric === 'function') {
      const fn = metric as MetricFn;
      const key = fn.name.length > 0 ? fn.name : `metric${i}`;
      return {
        name: key,
        perExample: (yTrue, yPred) => perRow(fn(yTrue, yPred), yPred.shape[0] as number, key),
      };
    }
    if (typeof metric !== 'string' || !METRIC_NAMES.includes(metric as MetricName)) {
      throw new RangeError(
        `${name}[${i}] must be one of ${METRIC_NAMES.map((n) => `'${n}'`).join(', ')} or a function (yTrue, yPred) => per-example values, got ${typeof metric === 'string' ? JSON.stringify(metric) : typeof metric}`,
      );
    }
    return { name: metric, perExample: BY_NAME[metric as MetricName] };
  });
  const names = resolved.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new RangeError(`${name} names the metric '${twice}' twice`);
  return resolved;
}
