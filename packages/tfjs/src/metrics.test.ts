import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { outputKindOf, resolveMetrics } from './metrics';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One output unit computing `x0` (a logit with linear activation, a probability-like score with sigmoid). */
function singleOutput(activation: 'linear' | 'sigmoid'): tfl.Sequential {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [2], units: 1, activation })],
  });
  model.setWeights([tf.tensor2d([[1], [0]]), tf.zeros([1])]);
  return model;
}

/** Positives with logits in (0, 0.5), negatives below 0: a logit threshold of 0 classifies all of them. */
const task = {
  x: tf.tensor2d([0.1, 5, 0.2, -1, 0.3, 2, 0.45, 0, -0.2, 1, -1, 3, -2, 0, -0.05, 7], [8, 2]),
  y: tf.tensor2d([1, 1, 1, 1, 0, 0, 0, 0], [8, 1]),
};

const sigmoidCrossEntropyFromLogits = (yTrue: tf.Tensor, logits: tf.Tensor) =>
  tf.mean(tf.sub(tf.softplus(logits), tf.mul(yTrue, logits)), -1);

function trainer(model: tfl.LayersModel, lossFn = sigmoidCrossEntropyFromLogits, metrics?: unknown) {
  return new PrivacyEngine().makePrivate({
    model,
    lossFn,
    data: task,
    epochs: 1,
    batchSize: 4,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode: 'DP-SGD-BASE',
    seed: 1,
    ...(metrics === undefined ? {} : { metrics: metrics as never }),
  });
}

describe('evaluate follows the model output', () => {
  it('a single-output logits model whose predictions are all right reports accuracy 1', () => {
    const model = singleOutput('linear');
    expect(outputKindOf(model)).toBe('logits');
    const result = trainer(model).evaluate(task, { metrics: ['binaryAccuracy', 'acc'] });
    expect(result.accuracy).toBe(1);
    expect(result.metrics).toEqual({ binaryAccuracy: 1, acc: 1 });
  });

  it('thresholds a sigmoid output at 0.5', () => {
    const model = singleOutput('sigmoid');
    expect(outputKindOf(model)).toBe('probabilities');
    const probabilityLoss = (yTrue: tf.Tensor, p: tf.Tensor) =>
      tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))), -1));
    // sigmoid(x0) > 0.5 exactly when x0 > 0: the same decisions as the logits.
    expect(trainer(model, probabilityLoss).evaluate(task).accuracy).toBe(1);
  });

  it('takes the metrics option of the engine, names as tfjs compile, functions by their name', () => {
    const data = separableTask(20, 3);
    const sparse = { x: data.x, y: tf.argMax(data.y, -1) };
    function meanAbsoluteError(yTrue: tf.Tensor, yPred: tf.Tensor) {
      return tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1);
    }
    const run = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: crossEntropy,
      data,
      epochs: 1,
      batchSize: 5,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      seed: 2,
      metrics: ['categoricalAccuracy', meanAbsoluteError],
    });
    const probabilities = run.model.apply(data.x) as tf.Tensor;
    const truth = tf.mean(tf.cast(tf.equal(tf.argMax(probabilities, -1), tf.argMax(data.y, -1)), 'float32'));
    const result = run.evaluate(data, { batchSize: 7 });
    expect(result.metrics.categoricalAccuracy).toBeCloseTo(truth.dataSync()[0] as number, 6);
    expect(result.accuracy).toBeCloseTo(result.metrics.categoricalAccuracy as number, 6);
    const mae = tf.mean(tf.abs(tf.sub(data.y, probabilities))).dataSync()[0] as number;
    expect(result.metrics.meanAbsoluteError).toBeCloseTo(mae, 5);
    // Sparse labels: the same accuracy with integer class labels.
    const sparseLoss = (labels: tf.Tensor, p: tf.Tensor) =>
      crossEntropy(tf.oneHot(tf.cast(labels, 'int32'), 2), p);
    const sparseRun = new PrivacyEngine().makePrivate({
      model: run.model,
      lossFn: sparseLoss,
      data: sparse,
      epochs: 1,
      batchSize: 5,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      seed: 2,
    });
    const sparseResult = sparseRun.evaluate(sparse, { metrics: 'sparseCategoricalAccuracy' });
    expect(sparseResult.metrics.sparseCategoricalAccuracy).toBeCloseTo(result.accuracy, 6);
    expect(sparseResult.accuracy).toBeCloseTo(result.accuracy, 6);
  });

  it('refuses an unknown metric, a name twice, and a function without per-example values', () => {
    expect(() => resolveMetrics(['accuracy', 'f1'], 'metrics')).toThrow(
      /metrics\[1\] must be one of 'accuracy', 'acc', .* got "f1"/,
    );
    expect(() => resolveMetrics(['acc', 'acc'], 'metrics')).toThrow(/names the metric 'acc' twice/);
    expect(() => trainer(singleOutput('linear'), undefined, ['precision'])).toThrow(/metrics\[0\]/);
    const total = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.sum(tf.sub(yTrue, yPred));
    expect(() => trainer(singleOutput('linear')).evaluate(task, { metrics: [total] })).toThrow(
      /metric 'total' must return per-example values with a leading axis of 8/,
    );
  });
});
