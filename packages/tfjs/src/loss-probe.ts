/**
 * A check of the per-example loss before training, on the first two examples of the data (inference mode,
 * once per training set): the loss must have shape `[B]`, and example 0's loss must not change when example 1
 * joins the batch. Labels of shape `[N]` against predictions of shape `[N, 1]` broadcast to `[B, B]`, which a
 * mean over the last axis turns back into `[B]` values that mix the batch: the clipping would then no longer
 * bound one example's influence. Failing early gives a clear error instead of a tfjs broadcast error midway
 * through a step (or a silently wrong gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PerExampleLossFn } from './compute-clipped-gradients';
import type { AnyLayer } from './per-example/types';
import type { EngineData } from './training-data';

/** Relative difference above which example 0's loss is taken to depend on example 1. */
const MIXING_TOLERANCE = 1e-4;

/** Checks `lossFn` on the first examples of `data` (see the module comment); throws a RangeError naming the shapes. */
export function probePerExampleLoss(model: AnyLayer, lossFn: PerExampleLossFn, data: EngineData): void {
  const size = data.y.shape[0] as number;
  const count = Math.min(2, size);
  const lossOf = (
    rows: number,
  ): { values: Float32Array; shape: number[]; labels: number[]; predictions: number[] } =>
    tf.tidy(() => {
      const x = Array.isArray(data.x) ? data.x.map((t) => tf.slice(t, 0, rows)) : tf.slice(data.x, 0, rows);
      const y = tf.slice(data.y, 0, rows);
      const prediction = model.apply(x, { training: false }) as tf.Tensor;
      const loss = lossFn(y, prediction);
      return {
        values: loss.dataSync() as Float32Array,
        shape: loss.shape,
        labels: y.shape,
        predictions: prediction.shape,
      };
    });
  const pair = lossOf(count);
  const shapes = `(labels of shape [${pair.labels.join(', ')}], predictions of shape [${pair.predictions.join(', ')}])`;
  if (pair.shape.length !== 1 || pair.shape[0] !== count) {
    throw new RangeError(
      `lossFn must return one loss per example, shape [${count}] for ${count} examples, got [${pair.shape.join(', ')}] ${shapes}: ` +
        'reduce over every axis but the first (e.g. tf.mean(..., -1)), and check that the labels match the model output',
    );
  }
  if (count < 2) return;
  const alone = lossOf(1).values[0] as number;
  const together = pair.values[0] as number;
  if (Math.abs(alone - together) > MIXING_TOLERANCE * Math.max(1, Math.abs(alone))) {
    throw new RangeError(
      `lossFn mixes examples: example 0's loss is ${alone} alone and ${together} next to example 1 ${shapes}. ` +
        'Labels and predictions of different ranks broadcast against each other (e.g. labels [N] with predictions [N, 1]): ' +
        'give labels the shape of the model output, since per-example clipping needs each loss to depend on its own example only',
    );
  }
}
