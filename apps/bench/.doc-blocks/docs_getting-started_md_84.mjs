import { PrivacyEngine, selectBackend } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

await selectBackend();

// Your data: images [N, 28, 28, 1] and one-hot labels [N, 10]. Here random stand-ins.
const trainImages = tf.randomUniform([2_000, 28, 28, 1], 0, 1, 'float32', 1);
const trainLabels = tf.oneHot(tf.randomUniform([2_000], 0, 10, 'int32', 2), 10);
const testImages = tf.randomUniform([500, 28, 28, 1], 0, 1, 'float32', 3);
const testLabels = tf.oneHot(tf.randomUniform([500], 0, 10, 'int32', 4), 10);

const model = tfl.sequential({
  layers: [
    tfl.layers.flatten({ inputShape: [28, 28, 1] }),
    tfl.layers.dense({ units: 64, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ],
});

// Per-example loss: one value per example, shape [B] (the engine clips each example's gradient).
const lossFn = (yTrue, logits) => tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(logits)), -1));

const engine = new PrivacyEngine();
const trainer = engine.makePrivateWithEpsilon({
  model,
  lossFn,
  datasetSize: 2_000, // examples in the training set: it sets the sampling rate and the steps per epoch
  epochs: 2,
  mode: 'Multi-Epoch-BLT', // correlated noise fitted for one participation per epoch
  batchSize: 250,
  maxGradNorm: 1,
  learningRate: 0.5,
  targetEpsilon: 8,
  targetDelta: 2_000 ** -1.1,
});

console.log(trainer.report); // noise multiplier, sensitivity, BLT parameters, planned steps
const history = await trainer.fit(
  { x: trainImages, y: trainLabels }, // tensors, leading axis = examples (they stay yours)
  { validationData: { x: testImages, y: testLabels } }, // valLoss, valAccuracy per epoch
);
console.log('epsilon spent', trainer.getEpsilon(), 'validation accuracy', history.valAccuracy);
console.log(trainer.evaluate({ x: testImages, y: testLabels }));
