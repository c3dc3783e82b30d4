import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The benchmark CNN of the project (Fashion-MNIST shape): conv 3x3 1->8 relu, maxpool 2; 8->16 relu, maxpool 2;
 * 16->32 relu; 32->64 relu, maxpool 2; flatten 576; dense 128 relu, 64 relu, 10. 107,146 parameters.
 */
export function buildBenchmarkCnn(seed = 1): tfl.Sequential {
  const init = (offset: number) => tfl.initializers.glorotUniform({ seed: seed + offset });
  const model = tfl.sequential();
  const conv = (filters: number, offset: number, inputShape?: number[]) =>
    tfl.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(offset),
      ...(inputShape ? { inputShape } : {}),
    });
  model.add(conv(8, 1, [28, 28, 1]));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(16, 2));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(32, 3));
  model.add(conv(64, 4));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(5) }));
  model.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(6) }));
  model.add(tfl.layers.dense({ units: 10, kernelInitializer: init(7) }));
  return model;
}

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
