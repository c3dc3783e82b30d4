import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { layers } from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

/**
 * {@link maxRelativeError}, except for variables whose reference gradient is zero up to rounding (below 1e-6 of
 * the whole gradient's norm, e.g. an attention key bias, which the softmax cancels): their error is taken
 * relative to the whole gradient's norm, since relative to rounding noise it means nothing.
 */
function relativeErrorWithZeros(actual: Map<string, tf.Tensor>, expected: Map<string, Float64Array>): number {
  const norm = (values: ArrayLike<number>) => Math.sqrt(Array.from(values).reduce((s, v) => s + v * v, 0));
  const total = Math.sqrt([...expected.values()].reduce((s, v) => s + norm(v) ** 2, 0));
  const regular = new Map([...expected].filter(([, v]) => norm(v) >= 1e-6 * total));
  let worst = maxRelativeError(new Map([...actual].filter(([name]) => regular.has(name))), regular);
  for (const [name, want] of expected) {
    if (regular.has(name)) continue;
    const got = actual.get(name);
    if (got == null) throw new Error(`missing gradient for ${name}`);
    const data = got.dataSync();
    worst = Math.max(worst, norm(Array.from(want, (v, k) => data[k]! - v)) / total);
  }
  return worst;
}

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
      const error = relativeErrorWithZeros(result.gradients, reference.sums);
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
