import { type DpAdamBc, type DpSgd, DpTfjsOptimizer, stepDecay } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { MakePrivateOptions } from './engine-options';
import { perExampleLoss } from './losses';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function makeModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [3],
        units: 2,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
        biasInitializer: 'ones',
      }),
    ],
  });
}

const x = tf.randomNormal([8, 3], 0, 1, 'float32', 31);
const y = tf.randomNormal([8, 2], 0, 1, 'float32', 37);

function run(model: tfl.Sequential, options: Partial<MakePrivateOptions> & Record<string, unknown>) {
  return new PrivacyEngine().makePrivate({
    model,
    loss: 'meanSquaredError',
    data: { x, y },
    epochs: 3,
    batchSize: 8, // the whole training set: every step sees all examples
    mode: 'DP-SGD-BASE',
    maxGradNorm: 1e6, // nothing is clipped
    noiseMultiplier: 0,
    seed: 1,
    ...options,
  } as MakePrivateOptions);
}

describe('the optimizer option', () => {
  it('a tf.train.adam given as optimizer is the one that steps, on the mean gradient', () => {
    const model = makeModel();
    const adam = tf.train.adam(0.05);
    const spy = vi.spyOn(adam, 'applyGradients');
    const trainer = run(model, { optimizer: adam });
    expect(trainer.optimizer).toBeInstanceOf(DpTfjsOptimizer);
    trainer.step();
    trainer.step();
    expect(spy).toHaveBeenCalledTimes(2);

    // The same two steps with tfjs alone: Adam on the batch-mean gradient of the same loss.
    const twin = makeModel();
    const reference = tf.train.adam(0.05);
    const loss = perExampleLoss('meanSquaredError');
    for (let t = 0; t < 2; t++) {
      reference.minimize(() => tf.mean(loss(y, twin.apply(x) as tf.Tensor)) as tf.Scalar);
    }
    model.getWeights().forEach((w, i) => {
      const expected = twin.getWeights()[i]!.dataSync();
      Array.from(w.dataSync()).forEach((v, j) => {
        expect(v).toBeCloseTo(expected[j] as number, 5);
      });
    });
  });

  it('refuses a tfjs optimizer with the Adam modes, which keep DP-AdamBC', () => {
    expect(() => run(makeModel(), { mode: 'BLT-Adam', optimizer: tf.train.adam(1e-3) })).toThrow(/DP-AdamBC/);
  });

  it("refuses the built-in optimizer's settings beside a tfjs optimizer, naming them", () => {
    expect(() =>
      run(makeModel(), { optimizer: tf.train.sgd(0.1), learningRate: 0.1, momentum: 0.9 }),
    ).toThrow(/learningRate, momentum configure the built-in optimizer/);
    expect(() => run(makeModel(), { optimizer: {} as tf.Optimizer })).toThrow(
      /optimizer must be a tfjs Optimizer/,
    );
  });

  it('takes a learning-rate schedule of the step', () => {
    const model = makeModel();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const trainer = run(model, { learningRate: stepDecay({ initial: 0, factor: 1, everySteps: 1 }) });
    trainer.step();
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    const moving = makeModel();
    run(moving, { learningRate: (step: number) => (step === 0 ? 0.1 : 0) }).step();
    expect(moving.getWeights()[0]!.dataSync()).not.toEqual(makeModel().getWeights()[0]!.dataSync());
    expect(() => run(makeModel(), { learningRate: () => -1 })).toThrow(
      /learningRate must be a finite number >= 0/,
    );
  });

  it('passes weightDecay as decoupled weight decay to every optimizer', () => {
    const sgd = run(makeModel(), { weightDecay: 0.01 }).optimizer as DpSgd;
    expect(sgd.decoupledWeightDecay).toBe(0.01);
    expect(sgd.weightDecay).toBe(0);
    const adamBc = run(makeModel(), { mode: 'BLT-Adam', weightDecay: 0.02 }).optimizer as DpAdamBc;
    expect(adamBc.weightDecay).toBe(0.02);
    const tfjs = run(makeModel(), { optimizer: tf.train.sgd(0.1), weightDecay: 0.03 })
      .optimizer as DpTfjsOptimizer;
    expect(tfjs.weightDecay).toBe(0.03);
    expect(() => run(makeModel(), { weightDecay: -1 })).toThrow(/weightDecay must be a finite number >= 0/);
  });
});

describe('checkpoints of a run with a tfjs optimizer', () => {
  /** A noisy run (BLT, batches of 4 of the 8 examples): 6 steps over 3 epochs. */
  const noisy = (optimizer: tf.Optimizer) =>
    run(makeModel(), { optimizer, mode: 'BLT', batchSize: 4, noiseMultiplier: 0.8, maxGradNorm: 1, seed: 3 });
  const weights = (t: ReturnType<typeof run>) => t.exportState().weights.map((w) => w.values);

  it.each([
    ['adam', () => tf.train.adam(0.05)],
    ['momentum', () => tf.train.momentum(0.05, 0.9)],
  ] as const)(
    'tf.train.%s: k steps, checkpoint, restore into a fresh trainer, continue = uninterrupted, bit for bit',
    async (_name, make) => {
      const straight = noisy(make());
      for (let i = 0; i < 6; i++) straight.step();

      const head = noisy(make());
      for (let i = 0; i < 3; i++) head.step();
      const bytes = await encodeCheckpoint(head.exportState());
      // Version 2: the checkpoint holds the tfjs optimizer's moments.
      expect(new TextDecoder().decode(bytes.subarray(0, 60))).toContain('"version":2');

      const resumed = noisy(make());
      resumed.restoreState(await decodeCheckpoint(bytes));
      expect(resumed.steps).toBe(3);
      for (let i = 0; i < 3; i++) resumed.step();
      expect(weights(resumed)).toEqual(weights(straight));
    },
  );

  it('a checkpoint without the moments (written before they were saved) still loads; the moments restart', async () => {
    const head = noisy(tf.train.adam(0.05));
    for (let i = 0; i < 3; i++) head.step();
    const state = head.exportState();
    const { inner: _, ...optimizer } = state.optimizer as typeof state.optimizer & { inner?: unknown };
    const bytes = await encodeCheckpoint({ ...state, optimizer });
    expect(new TextDecoder().decode(bytes.subarray(0, 60))).toContain('"version":1');
    const resumed = noisy(tf.train.adam(0.05));
    resumed.restoreState(await decodeCheckpoint(bytes));
    expect(resumed.steps).toBe(3);
    expect((resumed.optimizer as DpTfjsOptimizer).inner.iterations).toBe(0);
    // A tfjs optimizer of other settings is refused, naming them.
    const other = noisy(tf.train.adam(0.01));
    expect(() => other.restoreState(state)).toThrow(/saved with the optimizer settings/);
  });
});
