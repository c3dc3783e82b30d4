import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { computeClippedGradients, multiHeadAttention } from '../src/index';
import { allMethods, expectMatchesReference, rand } from './check-reference';
import { disposeResult, mseLoss } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A trainable elementwise scale without a rule (exact fallback). */
class TestScaleNoRule extends tfl.layers.Layer {
  static className = 'TestScaleNoRule';
  scale: tfl.LayerVariable | null = null;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.scale = this.addWeight(
      'scale',
      [(inputShape as number[]).at(-1)!],
      'float32',
      tfl.initializers.ones(),
    );
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, this.scale!.read());
  }
}

describe('the new rules and the fallback together', () => {
  it('match the reference and keep no tensors between steps, every method', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = tfl.sequential({
      layers: [
        tfl.layers.bidirectional({
          layer: tfl.layers.gru({ units: 3, returnSequences: true }) as never,
          inputShape: [4, 2],
        }),
        tfl.layers.lstm({ units: 4, returnSequences: true }),
        multiHeadAttention({ numHeads: 2, keyDim: 2 }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3 }) }),
        new TestScaleNoRule({}),
        tfl.layers.prelu(),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const x = rand([5, 4, 2], 1);
    const y = rand([5, 2], 2);
    await expectMatchesReference({ model, x, y, maxGradNorm: 0.05 });
    for (const method of allMethods) {
      const step = () =>
        disposeResult(
          computeClippedGradients({
            model,
            lossFn: mseLoss,
            x,
            y,
            maxGradNorm: 0.5,
            perExampleMethod: method,
            physicalBatchSize: 3,
          }),
        );
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors, method).toBe(before);
    }
  });
});
