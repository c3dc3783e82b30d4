// ESM consumer: uses each published package as an application would, from the installed tarballs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { computeEpsilon } from '@cnm/accountant';
import { run as runCli } from '@cnm/cli';
import { fitBlt } from '@cnm/core';
import { createModeOptimizer, modeMechanism } from '@cnm/optim';
import { CyclicSampler, SeededRandom } from '@cnm/sampler';
import { PrivacyEngine, selectBackend } from '@cnm/tfjs';
import { TerminalProgressBar } from '@cnm/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const epsilon = computeEpsilon({
  noiseMultiplier: 1,
  sampleRate: 0.01,
  steps: 100,
  delta: 1e-5,
  accountant: 'rdp',
});
assert.ok(epsilon > 0 && Number.isFinite(epsilon), `epsilon ${epsilon}`);

const fit = fitBlt({ steps: 20, minSeparation: 5, maxParticipations: 4, error: 'rmse', bufferCount: 'auto' });
assert.ok(fit.loss > 0);

const sampler = new CyclicSampler({ datasetSize: 10, batchSize: 5, rng: SeededRandom.fromSeed(1) });
assert.equal(sampler.nextBatch().length, 5);

const selection = await selectBackend({ preferred: 'wasm' });
assert.equal(selection.backend, 'wasm', JSON.stringify(selection.attempts));

const weights = tf.variable(tf.zeros([2]));
const mechanism = modeMechanism('DP-SGD-BASE', {
  steps: 4,
  participation: { kind: 'cyclic', minSeparation: 2 },
});
const optimizer = createModeOptimizer('DP-SGD-BASE', {
  variables: [weights],
  learningRate: 0.1,
  noise: {
    strategy: mechanism.strategy,
    sensitivity: mechanism.noiseSensitivity,
    noiseMultiplier: 0,
    maxGradNorm: 1,
    random: { seed: 1 },
  },
});
optimizer.step(new Map([[weights, tf.ones([2])]]), 1);
assert.deepEqual(Array.from(weights.dataSync()), [-0.1, -0.1].map(Math.fround));

const model = tfl.sequential({
  layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })],
});
const trainer = new PrivacyEngine().makePrivate({
  model,
  lossFn: (yTrue, yPred) => tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))), -1)),
  datasetSize: 8,
  epochs: 1,
  batchSize: 4,
  mode: 'DP-SGD-BASE',
  maxGradNorm: 1,
  noiseMultiplier: 1,
  targetDelta: 1e-5,
  targetEpsilon: 1000,
  seed: 1,
});
const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
const history = await trainer.fit(
  { x, y },
  { callbacks: new TerminalProgressBar({ stream: { write() {} } }) },
);
assert.equal(history.loss.length, 1);
assert.ok(trainer.getEpsilon() > 0);

// tfjs's ways: a loss by name, a tfjs optimizer, fit(x, y, args) with tfjs-layers callbacks and a History.
const tfjsStyle = new PrivacyEngine().makePrivate({
  model: tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] }),
  loss: 'categoricalCrossentropy',
  datasetSize: 8,
  epochs: 3,
  batchSize: 4,
  mode: 'BLT',
  maxGradNorm: 1,
  noiseMultiplier: 1,
  targetDelta: 1e-5,
  targetEpsilon: 1000,
  optimizer: tf.train.adam(1e-2),
});
const tfjsHistory = await tfjsStyle.fit(x, y, {
  epochs: 3,
  validationData: [x, y],
  callbacks: [tfl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 0, minDelta: 1e9 })],
});
assert.ok(tfjsHistory instanceof tfl.History, 'fit(x, y, args) returns a tfjs History');
assert.deepEqual(tfjsHistory.epoch, [0, 1]);
assert.equal(tfjsHistory.reason, 'stopped');
assert.deepEqual(Object.keys(tfjsHistory.history).sort(), ['epsilon', 'loss', 'val_acc', 'val_loss']);
// The cnm command line: its library entry and its installed bin agree with the accountant.
const cliArgs = [
  'epsilon',
  '--noise-multiplier',
  '1',
  '--sample-rate',
  '0.01',
  '--steps',
  '100',
  '--delta',
  '1e-5',
];
let cliText = '';
const sink = new Writable({
  write(chunk, _encoding, done) {
    cliText += chunk;
    done();
  },
});
assert.equal(runCli([...cliArgs, '--accountant', 'rdp', '--json'], { stdout: sink, stderr: sink }), 0);
assert.ok(Math.abs(JSON.parse(cliText).epsilon - epsilon) < 1e-9 * epsilon, cliText);
const binText = execFileSync('node_modules/.bin/cnm', [...cliArgs, '--json'], { encoding: 'utf8' });
assert.ok(JSON.parse(binText).epsilon > 0, binText);
console.log(`esm ok: backend ${selection.backend}, epsilon ${trainer.getEpsilon().toFixed(3)}`);
