import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerExampleMismatchError, verifyPerExampleGradients } from '../src/index';
import { MixingIdentity } from './mixing-layer';
import { mseLoss } from './reference';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

function convNet(broken: boolean): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [5, 5, 1],
        filters: 2,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
      }),
      ...(broken ? [new MixingIdentity({ name: 'mixer' })] : []),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, name: 'head' }),
    ],
  });
}

/**
 * Stock wasm has no Conv2DBackpropFilter, so plain autodiff of a conv net cannot run there: the self-check falls
 * back to the engine on batches of one example, which still exposes a layer that mixes the examples.
 */
describe('the self-check on a backend without a kernel plain autodiff needs (stock wasm)', () => {
  const batch = () => ({
    x: tf.randomNormal([3, 5, 5, 1], 0, 1, 'float32', 1),
    y: tf.randomNormal([3, 2], 0, 1, 'float32', 2),
  });
  const clipping = { mode: 'flat' as const, maxGradNorm: 1 };

  it('passes a correct conv net, with the batch-of-one reference', () => {
    const result = verifyPerExampleGradients({
      model: convNet(false),
      lossFn: mseLoss,
      ...batch(),
      clipping,
    });
    expect(result.reference).toBe('engine-batch-of-one');
    expect(result.worstRelativeError).toBeLessThan(1e-5);
  });

  it('catches the mixing layer and names it', () => {
    expect(() =>
      verifyPerExampleGradients({ model: convNet(true), lossFn: mseLoss, ...batch(), clipping }),
    ).toThrow(PerExampleMismatchError);
    expect(() =>
      verifyPerExampleGradients({ model: convNet(true), lossFn: mseLoss, ...batch(), clipping }),
    ).toThrow(/"mixer" \(MixingIdentity\)/);
  });
});
