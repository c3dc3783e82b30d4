import * as tf from '@tensorflow/tfjs-core';
import type { FashionMnistSplit } from '../data/fashion-mnist';

/** A split held as tensors: `x` `[N, 28, 28, 1]` in [0, 1], `y` one-hot `[N, 10]`, `labels` `[N]` int32. */
export interface SplitTensors {
  /** Images scaled to [0, 1]. */
  readonly x: tf.Tensor4D;
  /** One-hot labels. */
  readonly y: tf.Tensor2D;
  /** Integer labels. */
  readonly labels: tf.Tensor1D;
  /** Number of examples. */
  readonly count: number;
}

/** Moves the first `limit` examples of a split (all by default) into tensors. */
export function splitToTensors(split: FashionMnistSplit, limit = split.count): SplitTensors {
  const count = Math.min(limit, split.count);
  return tf.tidy(() => {
    const pixels = new Float32Array(count * 784);
    for (let i = 0; i < pixels.length; i += 1) pixels[i] = split.images[i]! / 255;
    const labels = tf.tensor1d(Int32Array.from(split.labels.subarray(0, count)), 'int32');
    return {
      x: tf.tensor4d(pixels, [count, 28, 28, 1]),
      y: tf.cast(tf.oneHot(labels, 10), 'float32') as tf.Tensor2D,
      labels,
      count,
    };
  });
}

/** Frees the tensors of a split. */
export function disposeSplit(split: SplitTensors): void {
  tf.dispose([split.x, split.y, split.labels]);
}

/** Per-example softmax cross-entropy of logits against one-hot targets: `[B]`. */
export function perExampleCrossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(yTrue, logProbabilities), -1)) as tf.Tensor1D;
  });
}

/** Per-example sigmoid cross-entropy averaged over pixels (segmentation): `[B]`. */
export function perExamplePixelCrossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    // log(1 + e^z) - y z, written stably as max(z, 0) - y z + log(1 + e^-|z|)
    const loss = tf.add(
      tf.sub(tf.relu(logits), tf.mul(yTrue, logits)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.mean(tf.reshape(loss, [loss.shape[0]!, -1]), 1) as tf.Tensor1D;
  });
}

/** Test accuracy in percent, predicting in chunks of `chunk` examples. */
export function accuracyPercent(
  model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] },
  split: SplitTensors,
  chunk = 1000,
): number {
  let correct = 0;
  for (let start = 0; start < split.count; start += chunk) {
    const size = Math.min(chunk, split.count - start);
    correct += tf.tidy(() => {
      const logits = model.predict(tf.slice(split.x, start, size)) as tf.Tensor;
      const hits = tf.equal(tf.argMax(logits, -1), tf.slice(split.labels, start, size));
      return tf.sum(tf.cast(hits, 'int32')).dataSync()[0]!;
    });
  }
  return (100 * correct) / split.count;
}
