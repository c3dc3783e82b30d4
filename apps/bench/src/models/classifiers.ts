import * as tf from '@tensorflow/tfjs-layers';

/** Options shared by the model builders. */
export interface ModelOptions {
  /** Seed of the Glorot-uniform initialisers, for reproducible runs; default: unseeded. */
  readonly seed?: number;
}

function initializer(options: ModelOptions, layerIndex: number) {
  return options.seed == null
    ? 'glorotUniform'
    : tf.initializers.glorotUniform({ seed: options.seed * 1000 + layerIndex });
}

/**
 * The original library's Fashion-MNIST CNN: conv 3x3 1->8 relu, maxpool 2; 8->16 relu, maxpool 2;
 * 16->32 relu; 32->64 relu, maxpool 2; flatten (3*3*64 = 576); dense 128 relu, 64 relu, 10 logits.
 * 'same' padding keeps 28 -> 14 -> 7 -> 3 after the pools: 107,146 parameters. Input `[B, 28, 28, 1]`.
 */
export function createCnn(options: ModelOptions = {}): tf.Sequential {
  const conv = (filters: number, index: number, inputShape?: number[]) =>
    tf.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: initializer(options, index),
      ...(inputShape == null ? {} : { inputShape }),
    });
  return tf.sequential({
    name: 'fashion_cnn',
    layers: [
      conv(8, 0, [28, 28, 1]),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(16, 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(32, 2),
      conv(64, 3),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: initializer(options, 4) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: initializer(options, 5) }),
      tf.layers.dense({ units: 10, kernelInitializer: initializer(options, 6) }),
    ],
  });
}

/**
 * The fully connected model: flatten 784 -> dense 128 relu -> 64 relu -> 10 logits (109,386 parameters), the
 * CNN's classifier head on raw pixels. Input `[B, 28, 28, 1]`.
 */
export function createMlp(options: ModelOptions = {}): tf.Sequential {
  return tf.sequential({
    name: 'fashion_mlp',
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: initializer(options, 0) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: initializer(options, 1) }),
      tf.layers.dense({ units: 10, kernelInitializer: initializer(options, 2) }),
    ],
  });
}

/**
 * A small U-Net for binary segmentation of `[B, 64, 64, 1]` images: two down levels (8, 16 channels), a
 * 32-channel bottleneck, two up levels with transposed-free upsampling (nearest 2x + conv) and skip
 * concatenations, and a 1x1 conv to one logit per pixel. Only layers @cnm/tfjs clips per example (Conv2D,
 * MaxPooling2D, UpSampling2D, Concatenate) are used.
 */
export function createUnet(options: ModelOptions = {}): tf.LayersModel {
  let index = 0;
  const conv = (filters: number, kernelSize = 3, activation: 'relu' | 'linear' = 'relu') =>
    tf.layers.conv2d({
      filters,
      kernelSize,
      padding: 'same',
      activation,
      kernelInitializer: initializer(options, index++),
    });
  const upConv = (filters: number) =>
    tf.layers.conv2dTranspose({
      filters,
      kernelSize: 2,
      strides: 2,
      padding: 'same',
      kernelInitializer: initializer(options, index++),
    });
  const input = tf.input({ shape: [64, 64, 1] });
  const down1 = conv(8).apply(input) as tf.SymbolicTensor;
  const pool1 = tf.layers.maxPooling2d({ poolSize: 2 }).apply(down1) as tf.SymbolicTensor;
  const down2 = conv(16).apply(pool1) as tf.SymbolicTensor;
  const pool2 = tf.layers.maxPooling2d({ poolSize: 2 }).apply(down2) as tf.SymbolicTensor;
  const bottleneck = conv(32).apply(pool2) as tf.SymbolicTensor;
  const up2 = upConv(16).apply(bottleneck) as tf.SymbolicTensor;
  const merge2 = tf.layers.concatenate().apply([up2, down2]) as tf.SymbolicTensor;
  const dec2 = conv(16).apply(merge2) as tf.SymbolicTensor;
  const up1 = upConv(8).apply(dec2) as tf.SymbolicTensor;
  const merge1 = tf.layers.concatenate().apply([up1, down1]) as tf.SymbolicTensor;
  const dec1 = conv(8).apply(merge1) as tf.SymbolicTensor;
  const logits = conv(1, 1, 'linear').apply(dec1) as tf.SymbolicTensor;
  return tf.model({ name: 'small_unet', inputs: input, outputs: logits });
}
