import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { computeClippedGradients } from '@cnm/tfjs';

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }),
    tfl.layers.dense({ units: 1 }),
  ],
});
const x = tf.randomNormal([32, 4]);
const y = tf.randomNormal([32, 1]);
const perExampleMse = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.square(tf.sub(yTrue, yPred)), 1);

const { gradients, loss } = computeClippedGradients({ model, lossFn: perExampleMse, x, y, maxGradNorm: 1 });
// gradients: Map<variable name, Σᵢ clip(gᵢ)>; add noise with std σ·1, divide by the batch size, apply.
