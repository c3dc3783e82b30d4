/** Evaluation of a model on held-out data: the mean per-example loss, tfjs's accuracy and further metrics. */
import * as tf from '@tensorflow/tfjs-core';
import type { PerExampleLossFn } from './compute-clipped-gradients';
import { ACCURACY, type Metric, outputKindOf, type ResolvedMetric } from './metrics';
import type { AnyLayer } from './per-example/types';
import { type TensorData, toEngineData } from './training-data';

/** Result of {@link PrivateTrainer.evaluate}. */
export interface EvaluationResult {
  /** Mean per-example loss. */
  readonly loss: number;
  /**
   * Fraction of correct predictions, tfjs's `'accuracy'` for the model's output: argmax against one-hot or
   * sparse labels for several outputs; for one output, the prediction thresholded at 0.5 when the output layer's
   * activation gives probabilities (sigmoid, softmax), at 0 when it gives logits (any other activation).
   */
  readonly accuracy: number;
  /** The values of the `metrics` asked for (engine option or `evaluate` option), by name. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Options of {@link PrivateTrainer.evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass (default 256). */
  readonly batchSize?: number;
  /** The trained weights (default) or the run's weight average (`'averaged'`, with the `weightAverage` option). */
  readonly weights?: 'trained' | 'averaged';
  /** Metrics to report instead of the run's `metrics` option (names as tfjs's `compile`, or functions). */
  readonly metrics?: Metric | readonly Metric[];
}

/**
 * Mean per-example loss, accuracy and `metrics` of `model` on `data`, in forward passes of `batchSize` examples.
 */
export function evaluateModel(
  model: AnyLayer,
  lossFn: PerExampleLossFn,
  data: TensorData,
  options: { readonly metrics: readonly ResolvedMetric[]; readonly batchSize: number },
): EvaluationResult {
  const { metrics, batchSize } = options;
  const outputKind = outputKindOf(model);
  const { x, y } = toEngineData(data, 'data').data;
  const size = y.shape[0] as number;
  let lossSum = 0;
  const sums = new Float64Array(metrics.length + 1);
  for (let start = 0; start < size; start += batchSize) {
    const count = Math.min(batchSize, size - start);
    const [l, ...values] = tf.tidy(() => {
      const xs = Array.isArray(x) ? x.map((t) => tf.slice(t, start, count)) : tf.slice(x, start, count);
      const ys = tf.slice(y, start, count);
      const prediction = model.apply(xs, { training: false }) as tf.Tensor;
      const loss = tf.sum(lossFn(ys, prediction));
      const totals = [ACCURACY, ...metrics].map((m) => tf.sum(m.perExample(ys, prediction, outputKind)));
      return Array.from(tf.stack([loss, ...totals]).dataSync());
    });
    lossSum += l as number;
    values.forEach((v, i) => {
      sums[i] = (sums[i] as number) + v;
    });
  }
  return {
    loss: lossSum / size,
    accuracy: (sums[0] as number) / size,
    metrics: Object.fromEntries(metrics.map((m, i) => [m.name, (sums[i + 1] as number) / size])),
  };
}
