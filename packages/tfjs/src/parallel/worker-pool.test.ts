import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel as createFunctionalModel } from '../../test/fixtures/parallel/functional-module';
import { createLossFn } from '../../test/fixtures/parallel/loss-module';
import { selectBackend } from '../backend/select-backend';
import { AdaptiveClipNorm, type ClippingOptions } from '../clipping';
import { type ClippedGradients, computeClippedGradients } from '../compute-clipped-gradients';
import { NonFiniteExamplesError } from '../non-finite';
import type { AnyLayer } from '../per-example/types';
import { PrivacyEngine } from '../privacy-engine';
import { createWorkerClipper, type WorkerClipper } from './worker-pool';

const fixture = (name: string) => new URL(`../../test/fixtures/parallel/${name}`, import.meta.url);
const lossFn = createLossFn();

beforeAll(async () => {
  // The workers run the wasm backend with the kernel pack: the in-process reference must too.
  await selectBackend({ preferred: 'wasm' });
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

function convModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 3,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, activation: 'tanh' }),
      tfl.layers.dense({ units: 3 }),
    ],
  });
}

function dataset(size: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomNormal([size, 6, 6, 2], 0, 1, 'float32', seed),
    y: tf.cast(tf.oneHot(tf.randomUniform([size], 0, 3, 'int32', seed + 1), 3), 'float32'),
  }));
}

function inProcess(
  model: AnyLayer,
  data: { x: tf.Tensor | tf.Tensor[]; y: tf.Tensor },
  indices: number[],
  clipping: ClippingOptions,
  physicalBatchSize: number,
  nonFinite: 'error' | 'skip' = 'error',
): ClippedGradients {
  const index = tf.tensor1d(indices, 'int32');
  const x = Array.isArray(data.x) ? data.x.map((t) => tf.gather(t, index)) : tf.gather(data.x, index);
  const y = tf.gather(data.y, index);
  try {
    return computeClippedGradients({ model, lossFn, x, y, clipping, physicalBatchSize, nonFinite });
  } finally {
    tf.dispose([index, x, y]);
  }
}

function expectSameResult(pooled: ClippedGradients, local: ClippedGradients): void {
  expect([...pooled.gradients.keys()]).toEqual([...local.gradients.keys()]);
  for (const [name, g] of local.gradients) {
    // Bit for bit: the same float32 sums in the same order.
    expect(pooled.gradients.get(name)!.dataSync()).toEqual(g.dataSync());
  }
  expect(pooled.perLayerNorms.dataSync()).toEqual(local.perLayerNorms.dataSync());
  expect(pooled.perExampleNorms.dataSync()).toEqual(local.perExampleNorms.dataSync());
  expect(pooled.clipFactors.shape).toEqual(local.clipFactors.shape);
  expect(pooled.clipFactors.dataSync()).toEqual(local.clipFactors.dataSync());
  expect(pooled.layerNames).toEqual(local.layerNames);
  expect(pooled.exampleCount).toBe(local.exampleCount);
  expect(pooled.sensitivity).toBe(local.sensitivity);
  expect(pooled.loss.dataSync()[0]).toBeCloseTo(local.loss.dataSync()[0]!, 5);
}

function dispose(result: ClippedGradients): void {
  tf.dispose([
    ...result.gradients.values(),
    result.perExampleNorms,
    result.perLayerNorms,
    result.clipFactors,
    result.loss,
  ]);
}

describe('WorkerClipper', () => {
  let pool: WorkerClipper;
  beforeAll(async () => {
    pool = createWorkerClipper({ workers: 2, modelModule: fixture('loss-module.ts') });
    expect(await pool.ready()).toBe('wasm');
  });
  afterAll(async () => {
    await pool.dispose();
  });

  it('gives the in-process chunked sums bit for bit (Sequential rebuilt from toJSON, flat and per-layer)', async () => {
    const model = convModel();
    const data = dataset(12, 3);
    const indices = [11, 0, 7, 3, 5, 8, 1];
    const cases: { clipping: ClippingOptions; physical?: number }[] = [
      // Default: one chunk per worker, ceil(7 / 2) = 4 (the second padded).
      { clipping: { mode: 'flat', maxGradNorm: 0.3 } },
      // Four chunks of two, two per worker, added in chunk order.
      { clipping: { mode: 'flat', maxGradNorm: 0.3 }, physical: 2 },
      {
        clipping: {
          mode: 'perLayer',
          thresholds: {
            [model.layers[0]!.name]: 0.2,
            [model.layers[3]!.name]: 0.1,
            [model.layers[4]!.name]: 5,
          },
        },
        physical: 3,
      },
    ];
    for (const { clipping, physical } of cases) {
      const pooled = await pool.compute({
        model,
        data,
        indices,
        clipping,
        ...(physical === undefined ? {} : { physicalBatchSize: physical }),
      });
      const local = inProcess(model, data, indices, clipping, physical ?? 4);
      // Clipping is active: some factors below 1.
      expect(Math.min(...local.clipFactors.dataSync())).toBeLessThan(1);
      expectSameResult(pooled, local);
      dispose(pooled);
      dispose(local);
    }
    // No tensor leaks: on the main thread and in the workers, counts are flat over further steps.
    const workerTensors = await pool.workerTensorCounts();
    const mainTensors = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      dispose(await pool.compute({ model, data, indices, clipping: { mode: 'flat', maxGradNorm: 0.3 } }));
    }
    expect(tf.memory().numTensors).toBe(mainTensors);
    expect(await pool.workerTensorCounts()).toEqual(workerTensors);
    // One computation at a time (the weights buffer is shared).
    const running = pool.compute({ model, data, indices, clipping: { mode: 'flat', maxGradNorm: 0.3 } });
    await expect(
      pool.compute({ model, data, indices, clipping: { mode: 'flat', maxGradNorm: 0.3 } }),
    ).rejects.toThrow(/already running/);
    dispose(await running);

    // The workers take the main thread's current weights at every step.
    const kernel = model.layers[4]!.getWeights()[0]!;
    model.layers[4]!.setWeights([tf.mul(kernel, 2), model.layers[4]!.getWeights()[1]!]);
    const clipping: ClippingOptions = { mode: 'flat', maxGradNorm: 0.3 };
    const pooled = await pool.compute({ model, data, indices, clipping });
    const local = inProcess(model, data, indices, clipping, 4);
    expectSameResult(pooled, local);
    dispose(pooled);
    dispose(local);
    tf.dispose(data);
  });

  it('refuses a second model and bad indices', async () => {
    const data = dataset(4, 1);
    const clipping: ClippingOptions = { mode: 'flat', maxGradNorm: 1 };
    await expect(pool.compute({ model: convModel(), data, indices: [0], clipping })).rejects.toThrow(
      /serves another model/,
    );
    await expect(pool.compute({ model: convModel(), data, indices: [4], clipping })).rejects.toThrow(
      /indices\[0\] must be an integer in \[0, 3\]/,
    );
    tf.dispose(data);
  });
});

describe('WorkerClipper with non-finite examples', () => {
  it('refuses them with the batch positions, or skips them, as the in-process engine does', async () => {
    const pool = createWorkerClipper({ workers: 2, modelModule: fixture('loss-module.ts') });
    try {
      const model = convModel();
      const clean = dataset(12, 5);
      const values = Float32Array.from(clean.x.dataSync());
      const rowSize = values.length / 12;
      for (const row of [2, 9]) values.fill(Number.NaN, row * rowSize, (row + 1) * rowSize);
      const data = { x: tf.tensor(values, clean.x.shape), y: clean.y };
      const indices = [11, 0, 7, 3, 9, 8, 2];
      const clipping: ClippingOptions = { mode: 'flat', maxGradNorm: 0.3 };
      // Chunks of two: the NaN rows (positions 4 and 6) are in the third and fourth chunks, on the second worker.
      const local = (() => {
        try {
          inProcess(model, data, indices, clipping, 2);
        } catch (error) {
          return error as NonFiniteExamplesError;
        }
        throw new Error('expected a NonFiniteExamplesError');
      })();
      // The first chunk holding any stops the step (position 6, in the next chunk, is not reached).
      expect(local.indices).toEqual([4]);
      const pooledError = await pool.compute({ model, data, indices, clipping, physicalBatchSize: 2 }).then(
        () => undefined,
        (error: unknown) => error as NonFiniteExamplesError,
      );
      expect(pooledError).toBeInstanceOf(NonFiniteExamplesError);
      expect(pooledError?.indices).toEqual(local.indices);
      expect(pooledError?.parts).toEqual(local.parts);
      const pooled = await pool.compute({
        model,
        data,
        indices,
        clipping,
        physicalBatchSize: 2,
        nonFinite: 'skip',
      });
      const skipped = inProcess(model, data, indices, clipping, 2, 'skip');
      expectSameResult(pooled, skipped);
      expect(pooled.skippedExamples).toBe(2);
      expect(skipped.skippedExamples).toBe(2);
      expect(Number.isFinite(pooled.loss.dataSync()[0])).toBe(true);
      dispose(pooled);
      dispose(skipped);
      tf.dispose([clean.x, clean.y, data.x]);
    } finally {
      await pool.dispose();
    }
  });
});

describe('WorkerClipper with a functional model from createModel()', () => {
  it('gives the in-process chunked sums bit for bit (two inputs), adaptive state updated once per batch', async () => {
    const pool = createWorkerClipper({ workers: 2, modelModule: fixture('functional-module.ts') });
    try {
      const model = createFunctionalModel();
      const images = dataset(9, 5);
      // Two inputs: x is an array of tensors.
      const data = { x: [images.x, tf.randomNormal([9, 4], 0, 1, 'float32', 6)], y: images.y };
      const indices = [8, 6, 4, 2, 0, 1, 3];
      const adaptive = () =>
        new AdaptiveClipNorm({
          initialMaxGradNorm: 0.5,
          countNoiseStddev: 1,
          expectedBatchSize: 7,
          gaussian: () => 0.25,
        });
      const pooledState = adaptive();
      const localState = adaptive();
      for (let round = 0; round < 2; round++) {
        const pooled = await pool.compute({
          model,
          data,
          indices,
          clipping: { mode: 'adaptive', state: pooledState },
          physicalBatchSize: 3,
        });
        const local = inProcess(model, data, indices, { mode: 'adaptive', state: localState }, 3);
        expectSameResult(pooled, local);
        // The released count and the next threshold are the in-process ones (one update per batch).
        expect(pooled.noisyUnclippedFraction).toBe(local.noisyUnclippedFraction);
        expect(pooledState.maxGradNorm).toBe(localState.maxGradNorm);
        dispose(pooled);
        dispose(local);
      }
      expect(pooledState.maxGradNorm).not.toBe(0.5);
      tf.dispose(data);
    } finally {
      await pool.dispose();
    }
    expect(pool.liveWorkers).toBe(0);
  });
});

describe('private training with the worker pool', () => {
  const options = (model: AnyLayer, data: { x: tf.Tensor; y: tf.Tensor }) =>
    ({
      model,
      lossFn,
      data,
      epochs: 1,
      batchSize: 6,
      noiseMultiplier: 0.7,
      maxGradNorm: 0.4,
      mode: 'BLT',
      seed: 11,
      physicalBatchSize: 3,
      learningRate: 0.2,
    }) as const;

  it('takes the same steps as the in-process run with the same chunking; checkpoints move between them', async () => {
    const data = dataset(18, 9);
    const initial = convModel()
      .getWeights()
      .map((w) => w.clone());
    const modelFrom = () => {
      const model = convModel();
      model.setWeights(initial);
      return model;
    };
    const pool = createWorkerClipper({ workers: 2, modelModule: fixture('loss-module.ts') });
    try {
      const engine = new PrivacyEngine();
      const local = engine.makePrivate(options(modelFrom(), data));
      const pooled = engine.makePrivate({ ...options(modelFrom(), data), clippedGradients: pool });
      expect(() => pooled.step()).toThrow(/use stepAsync/);
      const history = await pooled.fit();
      const localHistory = await local.fit();
      expect(pooled.steps).toBe(3);
      expect(history.loss[0]).toBeCloseTo(localHistory.loss[0]!, 5);
      const finalWeights = (trainer: typeof local) => trainer.exportState().weights.map((w) => w.values);
      expect(finalWeights(pooled)).toEqual(finalWeights(local));
      expect(pooled.exportState().optimizer).toEqual(local.exportState().optimizer);

      // One in-process step, its checkpoint resumed by a pooled run: the same end as the runs above.
      const head = engine.makePrivate(options(modelFrom(), data));
      head.step();
      // The pool serves one model: the resumed run trains the pooled run's model object (restore overwrites it).
      const resumed = engine.makePrivate({ ...options(pooled.model, data), clippedGradients: pool });
      resumed.restoreState(head.exportState());
      await resumed.fit();
      expect(finalWeights(resumed)).toEqual(finalWeights(local));
    } finally {
      await pool.dispose();
      tf.dispose([data, ...initial]);
    }
  });
});

describe('WorkerClipper errors and lifecycle', () => {
  it('refuses bad options with errors naming them', () => {
    const modelModule = fixture('loss-module.ts');
    expect(() => createWorkerClipper({ workers: 0, modelModule })).toThrow(
      /workers must be an integer in \[1, 256\]/,
    );
    expect(() => createWorkerClipper({ workers: 1.5, modelModule })).toThrow(RangeError);
    expect(() => createWorkerClipper({ workers: 1 } as never)).toThrow(/modelModule is required/);
    expect(() => createWorkerClipper({ workers: 1, modelModule, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('rejects a model with custom layers without createModel, a module without createLossFn, a worker error', async () => {
    class Doubler extends tfl.layers.Layer {
      static className = 'TestDoubler';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
      }
    }
    tf.serialization.registerClass(Doubler);
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 3 }), new Doubler({})],
    });
    const data = {
      x: tf.ones([4, 3]),
      y: tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), 'float32'),
    };
    const clipping: ClippingOptions = { mode: 'flat', maxGradNorm: 1 };
    const custom = createWorkerClipper({ workers: 1, modelModule: fixture('loss-module.ts') });
    await expect(custom.compute({ model, data, indices: [0, 1], clipping })).rejects.toThrow(
      /custom layers needs modelModule .* to export createModel\(\)/,
    );
    await custom.dispose();

    const noLoss = createWorkerClipper({ workers: 1, modelModule: fixture('no-loss-module.ts') });
    await expect(noLoss.ready()).rejects.toThrow(/must export createLossFn\(\)/);
    await noLoss.dispose();

    const badLoss = createWorkerClipper({ workers: 1, modelModule: fixture('bad-loss-module.ts') });
    const dense = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 3 })] });
    await expect(badLoss.compute({ model: dense, data, indices: [0, 1, 2], clipping })).rejects.toThrow(
      /lossFn must return a per-example loss of shape \[3\]/,
    );
    await badLoss.dispose();
    tf.dispose(data);
  });

  it('a crashed worker rejects the step, a hanging one times out; dispose ends every worker', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 3 })] });
    const data = {
      x: tf.ones([4, 3]),
      y: tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), 'float32'),
    };
    const clipping: ClippingOptions = { mode: 'flat', maxGradNorm: 1 };

    const crashing = createWorkerClipper({ workers: 2, modelModule: fixture('exit-module.ts') });
    await expect(crashing.compute({ model, data, indices: [0, 1, 2, 3], clipping })).rejects.toThrow(
      /clipping worker \d exited unexpectedly \(exit code 3\)/,
    );
    await expect(crashing.compute({ model, data, indices: [0], clipping })).rejects.toThrow(
      /the worker pool is unusable: clipping worker \d exited unexpectedly/,
    );
    await crashing.dispose();
    expect(crashing.liveWorkers).toBe(0);

    const hanging = createWorkerClipper({
      workers: 1,
      modelModule: fixture('hang-module.ts'),
      timeoutMs: 3000,
    });
    await hanging.ready();
    const started = Date.now();
    await expect(hanging.compute({ model, data, indices: [0, 1], clipping })).rejects.toThrow(
      /did not answer 'step' within 3000 ms \(timeoutMs\); the pool was stopped/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    await hanging.dispose();
    expect(hanging.liveWorkers).toBe(0);
    tf.dispose(data);
  });
});
