import { PrivacyEngine } from '@cnm/tfjs';
import { saveCheckpointFile, TerminalProgressBar } from '@cnm/tfjs/node'; // Node only

const engine = new PrivacyEngine(); // new PrivacyEngine({ secureMode: true }) for real deployments
const trainer = engine.makePrivateWithEpsilon({
  model, // a tfjs-layers model
  // One loss per example, shape [B] (here cross-entropy of softmax outputs).
  lossFn: (yTrue, yPred) => tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))), -1)),
  datasetSize: 1000, // examples in the training set (or data: { x, y } here and trainer.fit() below)
  epochs: 8,
  batchSize: 200,
  targetEpsilon: 8,
  targetDelta: 1e-5,
  maxGradNorm: 1, // or one norm per trainable layer; the initial threshold with clipping: 'adaptive'
  mode: 'Multi-Epoch-BLT', // 'DP-SGD-BASE' | 'DP-SGD-AMPLIFIED' | 'BLT' | 'Single Parameter' | 'BLT-Adam' | ...
  participation: 'cyclic', // 'streaming' | 'cyclic' | 'minSep'
  errorType: 'rmse',
  bufferCount: 4,
  learningRate: 0.5,
  seed: 42, // reproducible noise and sampling (refused in secure mode)
});
console.log(trainer.report); // noise multiplier, sensitivity, fitted BLT, run shape, planned epsilon

// An unbatched tf.data.Dataset of examples { xs, ys } (or { x, y } tensors): the engine draws every batch itself.
const dataset = tf.data.zip({ xs: tf.data.array(examples), ys: tf.data.array(labels) });
const history = await trainer.fit(dataset, {
  validationData: { x: xTest, y: yTest }, // valLoss, valAccuracy per epoch, in the logs and the history
  callbacks: [
    new TerminalProgressBar(),
    { onEpochEnd: (e, logs) => console.log(e, logs.epsilon, logs.valLoss) },
  ],
});
trainer.getEpsilon(1e-5); // epsilon spent so far, at any time
trainer.accountant(); // the @cnm/accountant accountant holding the run's events (getEpsilon, getDelta, toJSON)
trainer.evaluate({ x: xTest, y: yTest }); // { loss, accuracy } on held-out data
await saveCheckpointFile(trainer, 'run.ckpt'); // resume: trainer.restoreState(await loadCheckpointFile('run.ckpt'))
