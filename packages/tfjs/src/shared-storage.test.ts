import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import type { MakePrivateOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';
import { assertReadableOnBackend, storedDtypeOf } from './shared-storage';

/** One-hot labels made as users do, int32 then a cast to float32, on the cpu backend. */
async function labelsCastOnCpu(classes: number[]): Promise<tf.Tensor2D> {
  await tf.setBackend('cpu');
  return tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), 2), 'float32') as tf.Tensor2D;
}

describe('training data stored in another dtype than its own', () => {
  beforeEach(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is what tfjs 4.22 makes of a cpu cast, and wasm kernels read it wrong (why the check exists)', async () => {
    const labels = await labelsCastOnCpu([1, 0]);
    expect(labels.dtype).toBe('float32');
    expect(storedDtypeOf(labels)).toBe('int32');
    await tf.setBackend('wasm');
    const sum = tf.add(labels, 0);
    // 1.4e-45 instead of 1: the int32 bits of 1 read as float32.
    expect(sum.dataSync()[1]).toBeLessThan(1e-30);
    tf.dispose([labels, sum]);
  });

  it('is refused on wasm, naming the tensor and what to do; fine on cpu and when made on wasm', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const castY = await labelsCastOnCpu([1, 0]);
    expect(() => assertReadableOnBackend({ x, y: castY }, 'data')).not.toThrow();
    await tf.setBackend('wasm');
    expect(() => assertReadableOnBackend({ x, y: castY }, 'data')).toThrow(
      /data\.y is a float32 tensor whose data is stored as int32.*selectBackend\(\)/,
    );
    expect(() => assertReadableOnBackend({ x: [x, castY], y: x }, 'data')).toThrow(
      /data\.x\[1\] is a float32/,
    );
    const madeOnWasm = tf.cast(tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2), 'float32');
    expect(() => assertReadableOnBackend({ x, y: madeOnWasm }, 'data')).not.toThrow();
    const copied = tf.tensor(castY.dataSync(), castY.shape, 'float32');
    expect(Array.from(copied.dataSync())).toEqual([0, 1, 1, 0]);
    expect(() => assertReadableOnBackend({ x, y: copied }, 'data')).not.toThrow();
    tf.dispose([x, castY, madeOnWasm, copied]);
  });

  it('stops a private run on wasm before its first step instead of training on garbage labels', async () => {
    const task = separableTask(16, 3);
    const labels = await labelsCastOnCpu(Array.from(tf.argMax(task.y, 1).dataSync()));
    await tf.setBackend('wasm');
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(3),
      lossFn: crossEntropy,
      data: { x: task.x, y: labels },
      epochs: 1,
      batchSize: 8,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'DP-SGD-BASE',
      learningRate: 0.1,
      seed: 1,
    } as MakePrivateOptions);
    await expect(trainer.fit()).rejects.toThrow(/data\.y is a float32 tensor whose data is stored as int32/);
    expect(trainer.steps).toBe(0);
    trainer.dispose();
    tf.dispose([task.x, task.y, labels]);
  });
});
