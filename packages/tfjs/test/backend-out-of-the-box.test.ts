import { describe, expect, it } from 'vitest';
import { runFresh } from './fresh-process';

// A fresh Node process per case: tfjs's backend registry is global, and this test file's own process already has
// backends registered by other imports.

describe('a backend out of the box', () => {
  it('without @cnm/tfjs, tfjs-core alone has no backend (the failure the import prevents)', () => {
    const out = runFresh(`
      import * as tf from '@tensorflow/tfjs-core';
      try { tf.tensor([1]); console.log('no error'); } catch (error) { console.log(String(error)); }
    `);
    expect(out).toContain('No backend found in registry');
  });

  it('importing @cnm/tfjs gives a working backend, and selectBackend() switches to wasm with the training kernels', () => {
    const out = runFresh(`
      import { selectBackend } from '@cnm/tfjs';
      import * as tf from '@tensorflow/tfjs-core';
      const sum = tf.sum(tf.tensor([1, 2, 3])).dataSync()[0];
      const before = tf.getBackend();
      const selection = await selectBackend({ preferred: 'wasm' });
      console.log(JSON.stringify({ before, sum, after: tf.getBackend(), kernels: selection.registeredKernels.length }));
    `);
    const result = JSON.parse(out.split('\n').at(-1) as string);
    expect(result.before).toBe('cpu');
    expect(result.sum).toBe(6);
    expect(result.after).toBe('wasm');
    expect(result.kernels).toBeGreaterThan(0);
  });
});
