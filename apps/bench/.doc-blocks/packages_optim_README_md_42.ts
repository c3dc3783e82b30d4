import { Blt, bltStrategy } from '@cnm/core';
import { DpAdamBc } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tf.setBackend('cpu');
const weights = tf.variable(tf.zeros([4, 2]));
const bias = tf.variable(tf.zeros([2]));

const optimizer = new DpAdamBc({
  variables: [weights, bias],
  learningRate: 1e-3,
  noise: {
    // C: a BLT with 2 buffers (in practice fitted with @cnm/core for your steps and participation).
    strategy: bltStrategy(new Blt([0.9, 0.5], [0.1, 0.2])),
    noiseMultiplier: 1.2, // sigma, from the accountant
    maxGradNorm: 1, // per-example clipping norm
    sensitivity: 1.8, // sens(C) under the participation training really has
    random: 'secure', // or { seed: 42 } for reproducible experiments
  },
});

// Each step: the clipped per-example gradient sums (from the engine) and the normaliser
// (the expected batch size under Poisson sampling, or the actual batch size).
const sums = new Map([
  [weights, tf.ones([4, 2])],
  [bias, tf.ones([2])],
]);
optimizer.step(sums, 256);
console.log(optimizer.iterations, optimizer.noiseVarianceEstimate);

// Checkpoint: plain object of numbers and typed arrays (structuredClone / v8.serialize); keep it secret.
const state = optimizer.exportState();
optimizer.restoreState(state);
