import '@tensorflow/tfjs-backend-cpu';
import { PrivacyEngine } from '@cnm/tfjs';
import { TerminalProgressBar } from '@cnm/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');

// A synthetic task: 20 features, the label given by a fixed random hyperplane (seeded, reproducible).
function makeData(size: number, seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const teacher = Array.from({ length: 20 }, (_, i) => Math.sin(i + 1));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < size; i++) {
    const row = Array.from({ length: 20 }, () => uniform() * 2 - 1);
    const label = row.reduce((s, v, j) => s + v * (teacher[j] as number), 0) > 0 ? 1 : 0;
    xs.push(...row);
    ys.push(1 - label, label);
  }
  return { x: tf.tensor2d(xs, [size, 20]), y: tf.tensor2d(ys, [size, 2]) };
}
const train = makeData(1000, 1);
const test = makeData(500, 2);

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({
      inputShape: [20],
      units: 32,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
    tfl.layers.dense({
      units: 2,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  ],
});
// Per-example cross-entropy: one loss per example, shape [B].
const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))), -1));

const EPOCHS = 8;
const privacyEngine = new PrivacyEngine();
const trainer = privacyEngine.makePrivateWithEpsilon({
  model,
  lossFn,
  datasetSize: 1000, // the training set's size: the data itself goes to fit, as with tfjs's model.fit
  epochs: EPOCHS,
  targetEpsilon: 8,
  targetDelta: 1000 ** -1.1, // N^-1.1, as in the original library's benchmarks
  maxGradNorm: 1.0, // max_grad_norm
  mode: 'BLT',
  participation: 'streaming',
  errorType: 'rmse', // error_type
  bufferCount: 4, // d
  minSeparation: 5, // b: 5 steps per epoch, so batches of 1000 / 5 = 200 examples
  maxParticipations: 8, // k
  learningRate: 0.5,
  seed: 42,
});

const { report } = trainer;
console.log(
  `noise multiplier ${report.noiseMultiplier.toFixed(4)}, sensitivity ${report.sensitivity.toFixed(4)}`,
);
console.log(`strategy ${report.strategy}: decays ${report.blt?.decays.map((d) => d.toFixed(4)).join(', ')}`);
console.log(
  `run: ${report.run.totalSteps} steps of ${report.run.batchSize} examples, planned epsilon ${report.plannedEpsilon?.toFixed(4)}`,
);

// The engine draws every batch from `train` itself (the sampling the accounting assumes); `train` stays ours.
await trainer.fit(train, { callbacks: new TerminalProgressBar() });
const { accuracy } = trainer.evaluate(test);
console.log(
  `test accuracy ${accuracy.toFixed(4)}, epsilon spent ${trainer.getEpsilon().toFixed(4)} at delta ${(1000 ** -1.1).toExponential(3)}`,
);
