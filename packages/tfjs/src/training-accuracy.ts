/**
 * The training accuracy of a private run (tfjs's `acc` in the training logs): the declared accuracy metric on each
 * batch, before its update. Computed from the private batch without noise: epsilon does not cover it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type OutputKind, outputKindOf, type ResolvedMetric } from './metrics';
import type { AnyLayer } from './per-example/types';

/** The accuracy metric a run measures in training, and what the model's output holds. */
export interface TrainingAccuracy {
  /** The declared metric (`'accuracy'` or `'acc'`). */
  readonly metric: ResolvedMetric;
  /** Probabilities or logits (where a single output is thresholded). */
  readonly outputKind: OutputKind;
}

/** Correct predictions among a batch's examples. */
export interface BatchAccuracy {
  /** Sum of the per-example accuracies of the batch (its correct predictions). */
  readonly correct: number;
  /** Examples of the batch. */
  readonly examples: number;
}

/**
 * The accuracy metric declared in `metrics` ('accuracy' or 'acc', as tfjs logs `acc` for them), measured when the
 * training loss is reported (`reportTrainingLoss`); undefined otherwise.
 */
export function trainingAccuracyOf(
  model: AnyLayer,
  metrics: readonly ResolvedMetric[],
  reportTrainingLoss: boolean,
): TrainingAccuracy | undefined {
  const metric = metrics.find((m) => m.name === 'accuracy' || m.name === 'acc');
  return metric === undefined || !reportTrainingLoss
    ? undefined
    : { metric, outputKind: outputKindOf(model) };
}

/**
 * The accuracy of `model` on a batch, in inference mode (`training: false`: no dropout draw, no batch-norm update,
 * so that training goes on exactly as without it).
 */
export function batchAccuracy(
  model: AnyLayer,
  accuracy: TrainingAccuracy,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
): BatchAccuracy {
  const correct = tf.tidy(() => {
    const prediction = model.apply(x, { training: false }) as tf.Tensor;
    return tf.sum(accuracy.metric.perExample(y, prediction, accuracy.outputKind)).dataSync()[0] as number;
  });
  return { correct, examples: y.shape[0] as number };
}
