// Type-checked by tsc with moduleResolution nodenext and bundler: the published declarations resolve and type.
import { type AccountantKind, computeEpsilon } from '@cnm/accountant';
import { type CliStreams, createProgram } from '@cnm/cli';
import { type FitBltResult, fitBlt } from '@cnm/core';
import { MODE_NAMES, type ModeName } from '@cnm/optim';
import { type BatchSampler, CyclicSampler, SeededRandom } from '@cnm/sampler';
import { type FitHistory, PrivacyEngine, type PrivateTrainer, perExampleLoss } from '@cnm/tfjs';
import { TerminalProgressBar, type TerminalProgressBarOptions } from '@cnm/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const kind: AccountantKind = 'rdp';
const epsilon: number = computeEpsilon({
  noiseMultiplier: 1,
  sampleRate: 0.1,
  steps: 10,
  delta: 1e-5,
  accountant: 'rdp',
});
const fit: FitBltResult = fitBlt({
  steps: 10,
  minSeparation: 5,
  maxParticipations: 2,
  error: 'max',
  bufferCount: 1,
});
const mode: ModeName = MODE_NAMES[0] as ModeName;
const sampler: BatchSampler = new CyclicSampler({
  datasetSize: 4,
  batchSize: 2,
  rng: SeededRandom.fromSeed(1),
});
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] });
const trainer: PrivateTrainer = new PrivacyEngine().makePrivate({
  model,
  lossFn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.sum(tf.square(tf.sub(yTrue, yPred)), -1),
  datasetSize: 4,
  epochs: 1,
  batchSize: 2,
  mode,
  maxGradNorm: 1,
  noiseMultiplier: 1,
});
const options: TerminalProgressBarOptions = {};
const tfjsHistory: Promise<tfl.History> = trainer.fit(tf.ones([4, 2]), tf.zeros([4, 1]), {
  epochs: 1,
  callbacks: [tfl.callbacks.earlyStopping()],
});
const byName = new PrivacyEngine().makePrivate({
  model,
  loss: perExampleLoss('binaryCrossentropy', { fromLogits: true }),
  datasetSize: 4,
  epochs: 1,
  batchSize: 2,
  mode: 'BLT',
  maxGradNorm: 1,
  noiseMultiplier: 1,
  optimizer: tf.train.adam(1e-3),
});
const history: Promise<FitHistory> = trainer.fit(
  { x: tf.ones([4, 2]), y: tf.zeros([4, 1]) },
  { callbacks: new TerminalProgressBar(options) },
);

const cliStreams: CliStreams = { stdout: process.stdout, stderr: process.stderr };
const cliCommands: string[] = createProgram(cliStreams).commands.map((command) => command.name());

export { byName, cliCommands, epsilon, fit, history, kind, sampler, tfjsHistory };
