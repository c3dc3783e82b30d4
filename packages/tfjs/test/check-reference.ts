import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { layers } from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

/** Every per-example method of the engine. */
export const allMethods: PerExampleMethod[] = ['bookkeeping', 'materialized', 'ghost', 'mixed-ghost', 'loop'];

/** Normal test data from a fixed seed. */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/**
 * Checks the engine's clipped sums and norms against the example-by-example reference (plain `tf.variableGrads`
 * per example, computed on the cpu backend) to a relative error of 1e-5, for each method, with the engine on
 * `backend` (the test file imports the wasm backend when it asks for it). The threshold must bind for some examples, so that clipping is exercised.
 */
export async function expectMatchesReference(options: {
  model: layers.Layer;
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
  maxGradNorm: number;
  methods?: PerExampleMethod[] | undefined;
  backend?: 'cpu' | 'wasm';
  mask?: number[] | undefined;
}): Promise<void> {
  const { model, x, y, maxGradNorm } = options;
  await tf.setBackend('cpu');
  const reference = referenceClippedSums(model as never, mseLoss, x, y, maxGradNorm, options.mask);
  expect(reference.norms.some((n) => n > maxGradNorm)).toBe(true);
  await tf.setBackend(options.backend ?? 'cpu');
  try {
    for (const method of options.methods ?? allMethods) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        maxGradNorm,
        perExampleMethod: method,
        ...(options.mask != null ? { mask: options.mask } : {}),
      });
      const error = maxRelativeError(result.gradients, reference.sums);
      expect(error, `${method} relative error`).toBeLessThanOrEqual(1e-5);
      const norms = result.perExampleNorms.dataSync();
      for (const [i, n] of reference.norms.entries()) {
        // A masked row's norm is not defined by the reference (it skips the row).
        if (options.mask?.[i] === 0) continue;
        expect(Math.abs(norms[i]! - n), `${method} norm of example ${i}`).toBeLessThanOrEqual(1e-4 * (1 + n));
      }
      disposeResult(result);
    }
  } finally {
    await tf.setBackend('cpu');
  }
}
