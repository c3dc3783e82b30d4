import { SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { createCnn, createUnet } from '../models/classifiers';
import { perExampleCrossEntropy, perExamplePixelCrossEntropy } from '../train/tensors';
import {
  createLstmClassifier,
  createTransformerClassifier,
  SEQUENCE_SHAPE,
  sequenceBatch,
} from './sequence-workloads';

/** A model with a synthetic batch maker and its per-example loss. */
export interface ClippingWorkload {
  /** Workload name. */
  readonly name: 'cnn' | 'unet' | 'lstm' | 'transformer';
  /** Builds the model. */
  readonly createModel: () => LayersModel;
  /** Per-example loss `[B]`. */
  readonly lossFn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D;
  /** A batch of `size` synthetic examples. */
  readonly batch: (size: number, seed: number) => { x: tf.Tensor; y: tf.Tensor };
  /**
   * Positions `T` of the model's largest layer output (height × width of a convolution, sequence length): pure
   * ghost clipping holds two `T×T` Gram matrices per example for that layer.
   */
  readonly largestLayerPositions: number;
}

/** Random 28x28 images with random one-hot labels (speed does not depend on the values). */
function classificationBatch(size: number, seed: number) {
  return tf.tidy(() => {
    const x = tf.randomUniform([size, 28, 28, 1], 0, 1, 'float32', seed);
    const labels = tf.randomUniform([size], 0, 10, 'int32', seed + 1);
    return { x, y: tf.cast(tf.oneHot(labels, 10), 'float32') };
  });
}

/**
 * Synthetic 64x64 segmentation: a dim noisy background with one bright axis-aligned rectangle per image; the
 * mask marks the rectangle. Positions and sizes come from a seeded generator.
 */
export function segmentationBatch(size: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const random = SeededRandom.fromSeed(seed);
  const images = new Float32Array(size * 64 * 64);
  const masks = new Float32Array(size * 64 * 64);
  for (let n = 0; n < size; n += 1) {
    const height = random.nextInt(8, 33);
    const width = random.nextInt(8, 33);
    const top = random.nextInt(0, 64 - height + 1);
    const left = random.nextInt(0, 64 - width + 1);
    for (let r = 0; r < 64; r += 1) {
      for (let c = 0; c < 64; c += 1) {
        const i = n * 4096 + r * 64 + c;
        const inside = r >= top && r < top + height && c >= left && c < left + width;
        masks[i] = inside ? 1 : 0;
        images[i] = (inside ? 0.7 : 0.1) + 0.2 * random.nextFloat64();
      }
    }
  }
  return { x: tf.tensor4d(images, [size, 64, 64, 1]), y: tf.tensor4d(masks, [size, 64, 64, 1]) };
}

/** The workloads of the clipping comparison. */
export const CLIPPING_WORKLOADS: Readonly<Record<ClippingWorkload['name'], ClippingWorkload>> = {
  cnn: {
    name: 'cnn',
    createModel: () => createCnn({ seed: 1 }),
    lossFn: perExampleCrossEntropy,
    batch: classificationBatch,
    largestLayerPositions: 28 * 28,
  },
  unet: {
    name: 'unet',
    createModel: () => createUnet({ seed: 1 }),
    lossFn: perExamplePixelCrossEntropy,
    batch: segmentationBatch,
    largestLayerPositions: 64 * 64,
  },
  lstm: {
    name: 'lstm',
    createModel: createLstmClassifier,
    lossFn: perExampleCrossEntropy,
    batch: sequenceBatch,
    largestLayerPositions: SEQUENCE_SHAPE.length,
  },
  transformer: {
    name: 'transformer',
    createModel: createTransformerClassifier,
    lossFn: perExampleCrossEntropy,
    batch: sequenceBatch,
    largestLayerPositions: SEQUENCE_SHAPE.length,
  },
};
