import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clippingStep } from './cell';
import { CLIPPING_WORKLOADS } from './workloads';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sequence workloads of the clipping comparison', () => {
  it.each(['lstm', 'transformer'] as const)(
    '%s: every per-example method takes the same clipped step',
    (name) => {
      const workload = CLIPPING_WORKLOADS[name];
      const { x, y } = workload.batch(3, 5);
      // One model, reset to its initial weights before each step (building it again costs an orthogonal init).
      const model = workload.createModel();
      const initial = model.getWeights().map((w) => tf.clone(w));
      const weightsAfter = (method: Parameters<typeof clippingStep>[2]) => {
        model.setWeights(initial);
        const loss = clippingStep(workload, model, method, x, y, 0.5);
        expect(Number.isFinite(loss)).toBe(true);
        return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      };
      const reference = weightsAfter('loop');
      expect(reference.some((w, i) => w.some((v, j) => v !== initial[i]!.dataSync()[j]))).toBe(true);
      for (const method of ['bookkeeping', 'mixed-ghost'] as const) {
        const weights = weightsAfter(method);
        for (const [i, w] of weights.entries()) {
          for (let j = 0; j < w.length; j += 31) expect(w[j]).toBeCloseTo(reference[i]![j]!, 5);
        }
      }
      tf.dispose([x, y, ...initial]);
      model.dispose();
    },
    120_000,
  );
});
