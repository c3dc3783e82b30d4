import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A linearly separable two-class task: label 1 iff x0 + x1 > 0, with a margin, from a fixed seed. */
export function separableTask(size: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < size; i++) {
    const label = i % 2;
    const sign = label === 1 ? 1 : -1;
    const a = next() * 2 - 1;
    const margin = 0.5 + next();
    // Points on either side of the line x0 + x1 = 0, at least 0.5 / sqrt(2) away from it.
    xs.push(a + sign * margin, -a + sign * margin * 0.5);
    ys.push(1 - label, label);
  }
  return { x: tf.tensor2d(xs, [size, 2]), y: tf.tensor2d(ys, [size, 2]) };
}

/** A softmax classifier with fixed initial weights (same start for every run). */
export function classifier(hidden = 0): tfl.Sequential {
  const layers =
    hidden > 0
      ? [
          tfl.layers.dense({
            inputShape: [2],
            units: hidden,
            activation: 'tanh',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          }),
          tfl.layers.dense({
            units: 2,
            activation: 'softmax',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
          }),
        ]
      : [
          tfl.layers.dense({
            inputShape: [2],
            units: 2,
            activation: 'softmax',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
          }),
        ];
  return tfl.sequential({ layers });
}

/** Per-example categorical cross-entropy, shape [B]. */
export function crossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))), -1));
}
