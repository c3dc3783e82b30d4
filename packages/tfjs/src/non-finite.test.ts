import '@tensorflow/tfjs-backend-cpu';
import { CyclicSampler, type CyclicSamplerState, SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { computeClippedGradients } from './compute-clipped-gradients';
import type { MakePrivateOptions } from './engine-options';
import type { TrainLogs } from './fit-loop';
import { NonFiniteExamplesError, nonFiniteError, partsOf } from './non-finite';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** `t` with the rows `rows` set to NaN. */
function withNaNRows(t: tf.Tensor2D, rows: readonly number[]): tf.Tensor2D {
  return withValue(t, rows, Number.NaN);
}

/** A copy of `t` with the rows `rows` set to `value` (a tensor's own buffer must not be written). */
function withValue(t: tf.Tensor2D, rows: readonly number[], value: number): tf.Tensor2D {
  const buffer = tf.buffer(t.shape, 'float32', Float32Array.from(t.dataSync()));
  for (const r of rows) for (let c = 0; c < t.shape[1]; c++) buffer.set(value, r, c);
  return buffer.toTensor() as tf.Tensor2D;
}

const clean = separableTask(40, 5);
const nanRows = Array.from({ length: 20 }, (_, i) => 2 * i + 1);

function options(overrides: Partial<MakePrivateOptions> = {}): MakePrivateOptions {
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data: clean,
    epochs: 2,
    batchSize: 10,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode: 'BLT',
    learningRate: 0.5,
    seed: 4,
    ...overrides,
  };
}

describe('non-finite training data', () => {
  it('refuses by default a batch with NaN rows, naming the step, the examples and the tensor', () => {
    const poisoned = { x: withNaNRows(clean.x, nanRows), y: clean.y };
    const trainer = new PrivacyEngine().makePrivate(options({ data: poisoned }));
    // The first batch, replayed by a sampler restored to the trainer's initial position.
    const replay = new CyclicSampler({ datasetSize: 40, batchSize: 10, rng: SeededRandom.fromSeed(0) });
    replay.restoreState(trainer.sampler.exportState() as CyclicSamplerState);
    const batch = Array.from(replay.nextBatch());
    let error: unknown;
    try {
      trainer.step();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteExamplesError);
    const refused = error as NonFiniteExamplesError;
    expect(refused.step).toBe(1);
    // Training set indices, in batch order: exactly the batch's NaN rows.
    expect(refused.indices).toEqual(batch.filter((i) => i % 2 === 1));
    expect(refused.indices.length).toBeGreaterThan(0);
    expect(refused.parts.every((p) => p.includes('inputs'))).toBe(true);
    expect(refused.message).toMatch(
      /^step 1 holds examples with non-finite values .* training set indices \d+ \(inputs/,
    );
    expect(refused.message).toMatch(/nonFinite: 'skip'/);
  });

  it('refuses all-NaN data at the first step instead of training to a loss of 0', () => {
    const nan = { x: tf.fill([40, 2], Number.NaN) as tf.Tensor2D, y: clean.y };
    const trainer = new PrivacyEngine().makePrivate(options({ data: nan }));
    expect(() => trainer.step()).toThrow(NonFiniteExamplesError);
  });

  it('names labels and losses that are not finite', () => {
    const labels = { x: clean.x, y: withNaNRows(clean.y, [0, 1, 2, 3]) };
    const batch = computeClippedGradientsError(labels);
    expect(batch.parts[0]).toContain('labels');
    // A zero label row gives a 0/0 loss with finite inputs and labels.
    const zeroRow = withValue(clean.y, [4], 0);
    const normalised = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.div(crossEntropy(yTrue, yPred), tf.sum(yTrue, -1));
    let error: unknown;
    try {
      computeClippedGradients({
        model: classifier(),
        lossFn: normalised,
        x: tf.slice(clean.x, 0, 8),
        y: tf.slice(zeroRow, 0, 8),
        maxGradNorm: 1,
      });
    } catch (e) {
      error = e;
    }
    expect((error as NonFiniteExamplesError).indices).toEqual([4]);
    expect((error as NonFiniteExamplesError).parts[0]).toContain('loss');
    expect(partsOf(5)).toEqual(['inputs', 'loss']);
    expect(nonFiniteError([0, 2, 0], 10).indices).toEqual([11]);
  });

  it("'skip' leaves them out of the sum, averages the loss over the rest and counts them in results, logs, report and checkpoint", async () => {
    const poisoned = { x: withNaNRows(clean.x, nanRows), y: clean.y };
    const skipping = new PrivacyEngine().makePrivate(options({ data: poisoned, nonFinite: 'skip' }));
    expect(skipping.report.nonFinite).toBe('skip');
    const batchLogs: TrainLogs[] = [];
    const history = await skipping.fit({
      epochs: 1,
      callbacks: { onBatchEnd: (_b, logs) => void batchLogs.push(logs) },
    });
    // Every epoch visits every example once: the 20 NaN rows are skipped, each exactly once.
    expect(history.skippedExamples).toEqual([20]);
    expect(skipping.skippedExamples).toBe(20);
    expect(batchLogs.reduce((n, l) => n + (l.skippedExamples ?? 0), 0)).toBe(20);
    expect(batchLogs.every((l) => Number.isFinite(l.loss))).toBe(true);
    const state = await decodeCheckpoint(await encodeCheckpoint(skipping.exportState()));
    expect(state.skippedExamples).toBe(20);
    const resumed = new PrivacyEngine().makePrivate(options({ data: poisoned, nonFinite: 'skip' }));
    resumed.restoreState(state);
    expect(resumed.skippedExamples).toBe(20);

    // One step by hand: the sums and the loss are those of the batch's finite examples only.
    const single = computeClippedGradients({
      model: classifier(),
      lossFn: crossEntropy,
      x: tf.slice(poisoned.x, 0, 6),
      y: tf.slice(poisoned.y, 0, 6),
      maxGradNorm: 0.5,
      nonFinite: 'skip',
    });
    const finiteOnly = computeClippedGradients({
      model: classifier(),
      lossFn: crossEntropy,
      x: tf.gather(clean.x, [0, 2, 4]),
      y: tf.gather(clean.y, [0, 2, 4]),
      maxGradNorm: 0.5,
    });
    expect(single.skippedExamples).toBe(3);
    expect(single.exampleCount).toBe(6);
    expect(single.loss.dataSync()[0]).toBeCloseTo(finiteOnly.loss.dataSync()[0] as number, 6);
    // Two fresh models of the same seeded initial weights (variable names differ, the order does not).
    const skippedSums = [...single.gradients.values()];
    [...finiteOnly.gradients.values()].forEach((g, i) => {
      const values = Array.from((skippedSums[i] as tf.Tensor).dataSync());
      expect(values).toEqual(Array.from(g.dataSync()).map((v) => expect.closeTo(v, 6)));
    });
  });

  it('without skipped examples, the logs hold no count and the default run refuses', () => {
    const trainer = new PrivacyEngine().makePrivate(options());
    expect(trainer.report.nonFinite).toBe('error');
    trainer.step();
    expect(trainer.exportState().skippedExamples).toBeUndefined();
    expect(() => new PrivacyEngine().makePrivate(options({ nonFinite: 'drop' as never }))).toThrow(
      /nonFinite must be one of 'error', 'skip', got "drop"/,
    );
  });
});

function computeClippedGradientsError(data: { x: tf.Tensor; y: tf.Tensor }): NonFiniteExamplesError {
  try {
    computeClippedGradients({
      model: classifier(),
      lossFn: crossEntropy,
      x: tf.slice(data.x, 0, 6),
      y: tf.slice(data.y, 0, 6),
      maxGradNorm: 1,
      physicalBatchSize: 4,
    });
  } catch (e) {
    return e as NonFiniteExamplesError;
  }
  throw new Error('expected a NonFiniteExamplesError');
}

describe('labels and losses of the wrong shape are refused before training', () => {
  it('a loss that is not one value per example', async () => {
    const notPerExample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(yTrue, tf.log(yPred));
    const trainer = new PrivacyEngine().makePrivate(options({ lossFn: notPerExample }));
    expect(() => trainer.step()).toThrow(
      /lossFn must return one loss per example, shape \[2\] for 2 examples, got \[2, 2\]/,
    );
    await expect(trainer.fit()).rejects.toThrow(/one loss per example/);
    // Nothing was drawn: the run has not started, and says the same again (not "a previous step failed").
    expect(trainer.steps).toBe(0);
    expect(() => trainer.step()).toThrow(/one loss per example/);
  });

  it('labels whose shape broadcasts against the output (mixing examples), and labels of another length', () => {
    const labels = tf.cast(tf.argMax(clean.y, -1), 'float32');
    const mse = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    const regression = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] });
    // Labels [N] against predictions [N, 1]: the loss is [B] but example i's uses every example's label.
    const trainer = new PrivacyEngine().makePrivate(
      options({ model: regression, lossFn: mse, data: { x: clean.x, y: labels } }),
    );
    expect(() => trainer.step()).toThrow(/lossFn mixes examples/);
    expect(trainer.steps).toBe(0);
    expect(() =>
      new PrivacyEngine().makePrivate(options({ data: { x: clean.x, y: tf.slice(clean.y, 0, 39) } })),
    ).toThrow(/data.x must have 39 examples like data.y, got 40/);
    // Other label shapes the loss accepts stay allowed: sparse labels with a loss that one-hots them.
    const sparse = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      crossEntropy(tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), 2), yPred);
    const sparseRun = new PrivacyEngine().makePrivate(
      options({ lossFn: sparse, data: { x: clean.x, y: tf.reshape(labels, [40, 1]) } }),
    );
    expect(Number.isFinite(sparseRun.step())).toBe(true);
  });
});
