import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Selects the cpu backend (the oracle backend of the tests) once per test file. */
export async function useCpuBackend(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/** Deterministic pseudo-random floats in [-1, 1) for test inputs (a 32-bit LCG; not for noise). */
export function testValues(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A smooth, parameter-dependent gradient `a * p + b + 0.1 sin(3 p)`, so that any deviation between two
 * optimizers feeds back into later gradients instead of washing out.
 */
export function syntheticGradient(params: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.add(tf.abs(tf.tensor(testValues(params.size, seed), params.shape)), 0.2);
    const b = tf.tensor(testValues(params.size, seed + 1), params.shape);
    return tf.add(tf.add(tf.mul(a, params), b), tf.mul(tf.sin(tf.mul(params, 3)), 0.1));
  });
}

/** Largest absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
