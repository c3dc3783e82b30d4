import { describe, expect, it } from 'vitest';
import { runFresh } from '../../test/fresh-process';

// A fresh Node process per case: which backend was chosen is global state of tfjs's engine, and this test file's own
// process has chosen one already.

describe('the backend a private run trains on', () => {
  /** A script training a tiny private run after `setup`, printing the warnings of @cnm/tfjs as JSON. */
  const privateRun = (setup: string) => `
    import { PrivacyEngine, selectBackend } from '@cnm/tfjs';
    import * as tf from '@tensorflow/tfjs-core';
    import * as tfl from '@tensorflow/tfjs-layers';
    const warnings = [];
    const warn = console.warn;
    console.warn = (...args) => { if (String(args[0]).startsWith('@cnm/tfjs')) warnings.push(String(args[0])); else warn(...args); };
    ${setup}
    const makeRun = () => {
      const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
      const x = tf.randomNormal([8, 2], 0, 1, 'float32', 1);
      const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
      return new PrivacyEngine().makePrivate({ model, loss: 'categoricalCrossentropy', data: { x, y }, epochs: 1,
        batchSize: 4, mode: 'DP-SGD-BASE', maxGradNorm: 1, noiseMultiplier: 1, seed: 1 });
    };
    const first = makeRun();
    first.step();
    first.step();
    makeRun().step();
    console.log(JSON.stringify({ backend: tf.getBackend(), warnings }));
  `;
  const lastJson = (out: string) => JSON.parse(out.split('\n').at(-1) as string);

  it('training on the cpu backend nothing chose warns once per process, saying what to call', () => {
    const result = lastJson(runFresh(privateRun('')));
    expect(result.backend).toBe('cpu');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/about 11× slower/);
    expect(result.warnings[0]).toMatch(/await selectBackend\(\)/);
  });

  it("no warning when the cpu backend is chosen: tf.setBackend('cpu') or selectBackend", () => {
    const viaTfjs = lastJson(runFresh(privateRun("await tf.setBackend('cpu');")));
    expect(viaTfjs).toEqual({ backend: 'cpu', warnings: [] });
    const viaSelect = lastJson(runFresh(privateRun("await selectBackend({ preferred: 'cpu' });")));
    expect(viaSelect).toEqual({ backend: 'cpu', warnings: [] });
    // tf.ready() lets tfjs choose: the warning stays.
    const viaReady = lastJson(runFresh(privateRun('await tf.ready();')));
    expect(viaReady.warnings).toHaveLength(1);
  });

  it('without any backend, makePrivate names what to call instead of tfjs\'s "No backend found in registry"', () => {
    const out = runFresh(`
      import { PrivacyEngine } from '@cnm/tfjs';
      import * as tf from '@tensorflow/tfjs-core';
      import * as tfl from '@tensorflow/tfjs-layers';
      const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 })] });
      tf.removeBackend('cpu');
      try {
        new PrivacyEngine().makePrivate({ model, loss: 'meanSquaredError', datasetSize: 8, epochs: 1, batchSize: 4,
          mode: 'DP-SGD-BASE', maxGradNorm: 1, noiseMultiplier: 1 });
        console.log('no error');
      } catch (error) {
        console.log(String(error.message));
      }
    `);
    const message = out.split('\n').at(-1) as string;
    expect(message).toMatch(
      /^no TensorFlow.js backend is registered: call `await selectBackend\(\)` from @cnm\/tfjs/,
    );
    expect(message).not.toMatch(/No backend found in registry/);
  });
});
