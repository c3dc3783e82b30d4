import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { computeClippedGradients } from '../compute-clipped-gradients';
import { REFUSED_BACKENDS, refusedBackendReason } from './refused-backends';

describe('refused backends', () => {
  afterEach(async () => {
    await tf.setBackend('cpu');
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  });

  it('names webgpu with its reason, and nothing the engine is checked on', () => {
    expect(refusedBackendReason('webgpu')).toMatch(/refused on the webgpu backend.*use webgl or wasm/);
    for (const backend of ['cpu', 'wasm', 'webgl', 'tensorflow', 'constructor', 'toString']) {
      expect(refusedBackendReason(backend)).toBeUndefined();
    }
  });

  it('computeClippedGradients refuses to run on a refused backend, with the reason', async () => {
    // A stand-in registered under the refused name: the refusal depends on the backend's name only.
    tf.registerBackend('webgpu', () => new MathBackendCPU());
    await tf.setBackend('webgpu');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.sum(tf.square(tf.sub(yTrue, yPred)), 1);
    const x = tf.ones([4, 3]);
    const y = tf.zeros([4, 2]);
    expect(() => computeClippedGradients({ model, lossFn, x, y, maxGradNorm: 1 })).toThrow(
      REFUSED_BACKENDS.webgpu,
    );
    await tf.setBackend('cpu');
    const result = computeClippedGradients({ model, lossFn, x, y, maxGradNorm: 1 });
    expect(result.gradients.size).toBe(2);
  });
});
