import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** The models the page offers. */
export const MODEL_NAMES = ['small-cnn', 'benchmark-cnn', 'mlp'] as const;
/** One of {@link MODEL_NAMES}. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** What each model is, for the page. */
export const MODEL_LABELS: Record<ModelName, string> = {
  'small-cnn': 'small CNN (2,698 weights)',
  'benchmark-cnn': 'benchmark CNN (107,146 weights)',
  mlp: 'MLP (hidden layer of 64)',
};

const conv = (filters: number, inputShape?: number[]) =>
  tfl.layers.conv2d({
    filters,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    ...(inputShape === undefined ? {} : { inputShape }),
  });

/**
 * A fresh, untrained model ending in `classCount` logits. The CNNs need 784 features (a 28×28 grey image, row
 * by row); the MLP takes any number. `benchmark-cnn` is the benchmark model of the bench docs (conv 1→8, pool,
 * 8→16, pool, 16→32, 32→64, pool, dense 576→128→64→classes).
 *
 * @throws RangeError when a CNN is asked for data that are not 28×28 images.
 */
export function createModel(name: ModelName, featureCount: number, classCount: number): tfl.LayersModel {
  if (name !== 'mlp' && featureCount !== 784) {
    throw new RangeError(
      `model: the CNNs need 784 features (28×28 images), the data have ${featureCount}; use the MLP`,
    );
  }
  const image = [tfl.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] })];
  switch (name) {
    case 'small-cnn':
      return tfl.sequential({
        layers: [
          ...image,
          conv(8),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          conv(16),
          tfl.layers.maxPooling2d({ poolSize: 4 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: classCount }),
        ],
      });
    case 'benchmark-cnn':
      return tfl.sequential({
        layers: [
          ...image,
          conv(8),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          conv(16),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          conv(32),
          conv(64),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 128, activation: 'relu' }),
          tfl.layers.dense({ units: 64, activation: 'relu' }),
          tfl.layers.dense({ units: classCount }),
        ],
      });
    case 'mlp':
      return tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [featureCount], units: 64, activation: 'relu' }),
          tfl.layers.dense({ units: classCount }),
        ],
      });
    default:
      throw new RangeError(`model must be one of ${MODEL_NAMES.join(', ')}, got ${String(name)}`);
  }
}

/** Per-example softmax cross-entropy of logits against one-hot targets: shape `[B]`. */
export function perExampleCrossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(logits)), -1)) as tf.Tensor1D);
}
