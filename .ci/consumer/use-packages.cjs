// CommonJS consumer: require() of every published package resolves to its CJS build and works.
const assert = require('node:assert/strict');
const { computeEpsilon } = require('@cnm/accountant');
const { EXIT_BAD_ARGUMENTS, run: runCli } = require('@cnm/cli');
const { fitBlt } = require('@cnm/core');
const { MODE_NAMES } = require('@cnm/optim');
const { SeededRandom } = require('@cnm/sampler');
const { PrivacyEngine, selectBackend } = require('@cnm/tfjs');
const { saveCheckpointFile } = require('@cnm/tfjs/node');
const tf = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');

async function main() {
  assert.ok(
    computeEpsilon({ noiseMultiplier: 1, sampleRate: 1, steps: 1, delta: 1e-5, accountant: 'pld' }) > 0,
  );
  assert.ok(
    fitBlt({ steps: 10, minSeparation: 5, maxParticipations: 2, error: 'max', bufferCount: 1 }).loss > 0,
  );
  assert.ok(MODE_NAMES.includes('BLT'));
  assert.equal(typeof SeededRandom.fromSeed(3).nextUint32(), 'number');
  assert.equal(typeof saveCheckpointFile, 'function');
  const selection = await selectBackend({ preferred: 'cpu' });
  assert.equal(selection.backend, 'cpu');
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] });
  const trainer = new PrivacyEngine().makePrivate({
    model,
    lossFn: (yTrue, yPred) => tf.sum(tf.square(tf.sub(yTrue, yPred)), -1),
    data: { x: tf.ones([4, 2]), y: tf.zeros([4, 1]) },
    epochs: 1,
    batchSize: 2,
    mode: 'BLT',
    maxGradNorm: 1,
    noiseMultiplier: 1,
    seed: 2,
  });
  assert.ok(Number.isFinite(trainer.step()));
  const history = await new PrivacyEngine()
    .makePrivate({
      model: tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] }),
      loss: 'meanSquaredError',
      datasetSize: 4,
      epochs: 1,
      batchSize: 2,
      mode: 'DP-SGD-BASE',
      maxGradNorm: 1,
      noiseMultiplier: 1,
      optimizer: tf.train.sgd(0.1),
    })
    .fit(tf.ones([4, 2]), tf.zeros([4, 1]), { callbacks: { onEpochEnd: async () => {} } });
  assert.ok(history instanceof tfl.History && history.history.loss.length === 1);
  // A bad argument is exit code 2 with a message on stderr, from the CommonJS build too.
  let cliErrors = '';
  const silent = { write: () => true };
  const errors = {
    write: (text) => {
      cliErrors += text;
      return true;
    },
  };
  assert.equal(runCli(['epsilon', '--steps', '-3'], { stdout: silent, stderr: errors }), EXIT_BAD_ARGUMENTS);
  assert.ok(cliErrors.length > 0);
  console.log(`cjs ok: backend ${selection.backend}, ${trainer.steps} step`);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
