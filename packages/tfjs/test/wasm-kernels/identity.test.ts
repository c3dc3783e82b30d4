import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { seededValues } from './kernel-test-utils';

describe('Identity on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('clones without copying, keeps the clone valid after the original is disposed, and leaks nothing', () => {
    const baseline = tf.memory();
    const backendBaseline = tf.backend().numDataIds();
    const values = seededValues(1000, 4);
    const original = tf.tensor2d(values, [25, 40]);
    const clone = tf.clone(original);
    expect(tf.backend().numDataIds()).toBe(backendBaseline + 1);
    original.dispose();
    expect(Array.from(clone.dataSync())).toEqual(Array.from(values));
    expect(clone.shape).toEqual([25, 40]);
    const doubled = tf.mul(clone, 2);
    expect(doubled.dataSync()[7]).toBeCloseTo(values[7]! * 2, 6);
    tf.dispose([clone, doubled]);
    expect(tf.memory().numTensors).toBe(baseline.numTensors);
    expect(tf.memory().numBytes).toBe(baseline.numBytes);
    expect(tf.backend().numDataIds()).toBe(backendBaseline);
  });

  it('still clones string tensors (stock kernel)', () => {
    const strings = tf.tensor1d(['a', 'bc']);
    const clone = tf.clone(strings);
    strings.dispose();
    expect(clone.arraySync()).toEqual(['a', 'bc']);
    clone.dispose();
  });
});
