/**
 * Inputs and the plain training step of the benchmark CNN (`createCnn` of the bench app, the one CNN of the
 * project's benchmarks) for the kernel benchmarks and profiles of this package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Random images and one-hot labels of the benchmark's shape. */
export function randomBatch(batchSize: number, seed = 7): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([batchSize, 28, 28, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    const labels = tf.randomUniform([batchSize], 0, 10, 'int32', seed + 1) as tf.Tensor1D;
    const y = tf.cast(tf.oneHot(labels, 10), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}

/**
 * One non-private SGD training step (forward, backward, update) of `model` on `(x, y)`, returning the loss.
 */
export function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
): number {
  return tf.tidy(() => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D),
      true,
    );
    if (loss === null) throw new Error('optimizer.minimize returned no loss');
    return loss.dataSync()[0]!;
  });
}
