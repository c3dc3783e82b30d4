import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createCnn } from '../../../../apps/bench/src/models/classifiers';
import { randomBatch, trainStep } from '../../bench/training-step';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from '../../src/wasm-kernels/simd-kernels';
import { expectAllClose } from './kernel-test-utils';

/** Gradients of the benchmark CNN's loss on a small batch, by variable name order. */
async function cnnGradients(backendName: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await tf.setBackend(backendName);
  const model = createCnn({ seed: 3 });
  const { x, y } = randomBatch(3, 11);
  const { grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D),
  );
  const values = model.trainableWeights.map(
    (w) => grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array,
  );
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return values;
}

describe('training the benchmark CNN on wasm with the kernel pack', () => {
  it('gives the same parameter gradients as the cpu backend (SIMD and JS paths)', async () => {
    registerWasmTrainingKernels();
    await loadWasmSimdKernels();
    const cpu = await cnnGradients('cpu');
    for (const simd of [true, false]) {
      setWasmSimdKernelsEnabled(simd);
      const wasm = await cnnGradients('wasm');
      expect(wasm.length).toBe(cpu.length);
      for (const [i, g] of wasm.entries()) expectAllClose(g, cpu[i]!, 1e-4);
    }
    setWasmSimdKernelsEnabled(true);
  });

  it('keeps tensor and wasm-heap tensor counts flat over training steps', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    const model = createCnn({ seed: 5 });
    const optimizer = tf.train.sgd(0.05);
    const { x, y } = randomBatch(8, 12);
    const losses: number[] = [];
    losses.push(trainStep(model, optimizer, x, y));
    const tensors = tf.memory().numTensors;
    const dataIds = tf.backend().numDataIds();
    for (let i = 0; i < 4; i++) losses.push(trainStep(model, optimizer, x, y));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(dataIds);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });
});
