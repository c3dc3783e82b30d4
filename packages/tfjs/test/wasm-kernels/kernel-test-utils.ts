import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';

/** Deterministic values in [-1, 1) (mulberry32), identical on every backend. */
export function seededValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Input tensors described by shape and seed, created on whatever backend is active. */
export interface TensorSpec {
  shape: number[];
  seed: number;
  /** Round values to multiples of 1/levels (creates ties, e.g. for max pooling). */
  levels?: number;
}

/** The values of a spec. */
export function specValues(spec: TensorSpec): Float32Array {
  const values = seededValues(sizeOf(spec.shape), spec.seed);
  if (spec.levels !== undefined) {
    for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i]! * spec.levels) / spec.levels;
  }
  return values;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Runs kernel `name` on backend `backendName` with inputs built from `specs` and returns its output values
 * and shape.
 */
export async function runKernelOn(
  backendName: 'cpu' | 'wasm',
  name: string,
  specs: Record<string, TensorSpec>,
  attrs: Record<string, unknown>,
): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backendName);
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [key, spec] of Object.entries(specs)) {
      inputs[key] = tf.tensor(specValues(spec), spec.shape);
    }
    const out = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

/** Asserts elementwise closeness relative to the largest magnitude of `expected` (float32 sums). */
export function expectAllClose(actual: Float32Array, expected: Float32Array, relativeTolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    // Equal values (infinities included) differ by 0.
    const diff = actual[i] === expected[i] ? 0 : Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= worst)) worst = diff; // NaN propagates to a failure below
  }
  expect(worst / scale).toBeLessThanOrEqual(relativeTolerance);
}

/** Compares kernel `name` on wasm against cpu for the same inputs and attributes. */
export async function expectWasmMatchesCpu(
  name: string,
  specs: Record<string, TensorSpec>,
  attrs: Record<string, unknown>,
  relativeTolerance = 1e-5,
): Promise<void> {
  const wasm = await runKernelOn('wasm', name, specs, attrs);
  const cpu = await runKernelOn('cpu', name, specs, attrs);
  expect(wasm.shape).toEqual(cpu.shape);
  expectAllClose(wasm.values, cpu.values, relativeTolerance);
}

/**
 * Gradient of `sum(f(x) * weights)` with respect to `x` on `backendName`, for deterministic `x` and weights
 * (the weights make every output position carry a different upstream gradient).
 */
export async function gradientOn(
  backendName: 'cpu' | 'wasm',
  f: (x: tf.Tensor) => tf.Tensor,
  xSpec: TensorSpec,
  weightSeed: number,
): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backendName);
  return tf.tidy(() => {
    const x = tf.tensor(specValues(xSpec), xSpec.shape);
    const outShape = f(x).shape;
    const weights = tf.tensor(seededValues(sizeOf(outShape), weightSeed), outShape);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input), weights)))(x);
    return { values: dx.dataSync() as Float32Array, shape: dx.shape };
  });
}
