import '@tensorflow/tfjs-backend-cpu';
import { CyclicSampler, type CyclicSamplerState, SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import {
  compareFingerprints,
  DataBinding,
  DataMismatchError,
  fingerprintData,
  orderMayChange,
} from './data-fingerprint';
import type { MakePrivateWithEpsilonOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rows of `t` in the order `order`. */
function rows<T extends tf.Tensor>(t: T, order: readonly number[]): T {
  return tf.gather(t, tf.tensor1d([...order], 'int32')) as T;
}

function permutation(size: number, seed: number): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  let state = seed >>> 0;
  for (let i = size - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((state / 2 ** 32) * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

describe('fingerprintData', () => {
  const { x, y } = separableTask(50, 3);
  const fingerprint = fingerprintData({ x, y });

  it('is the same for the same bytes in other tensors, and hex SHA-256 digests', () => {
    const copy = fingerprintData({ x: tf.clone(x), y: tf.tensor(y.dataSync(), y.shape) });
    expect(copy).toEqual(fingerprint);
    expect(fingerprint.ordered).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint.examples).toBe(50);
  });

  it('tells a new order (swapping two rows is enough) from new content', () => {
    const swapped = Array.from({ length: 50 }, (_, i) => (i === 7 ? 30 : i === 30 ? 7 : i));
    const reordered = fingerprintData({ x: rows(x, swapped), y: rows(y, swapped) });
    expect(compareFingerprints(fingerprint, reordered)).toBe('order');
    // Inputs and targets are hashed per example: swapping the targets of two examples is other content.
    expect(compareFingerprints(fingerprint, fingerprintData({ x, y: rows(y, swapped) }))).toBe('content');
    const changed = x.bufferSync();
    changed.set(changed.get(3, 1) + 1e-6, 3, 1);
    expect(compareFingerprints(fingerprint, fingerprintData({ x: changed.toTensor(), y }))).toBe('content');
    // The same bytes under another shape or dtype are other data.
    const reshaped = fingerprintData({ x: tf.reshape(x, [50, 2, 1]), y });
    expect(compareFingerprints(fingerprint, reshaped)).toBe('content');
  });

  it('covers every input of a multi-input model', () => {
    const second = tf.reshape(tf.range(0, 50), [50, 1]);
    const both = fingerprintData({ x: [x, second], y });
    const reversed = Array.from({ length: 50 }, (_, i) => 49 - i);
    expect(compareFingerprints(both, fingerprintData({ x: [x, rows(second, reversed)], y }))).toBe('content');
    expect(compareFingerprints(both, fingerprint)).toBe('content');
  });
});

describe('DataBinding', () => {
  const { x, y } = separableTask(40, 5);
  const order = permutation(40, 9);
  const shuffled = { x: rows(x, order), y: rows(y, order) };
  const cyclic = { mode: 'BLT', participation: 'cyclic', stepsPerEpoch: 4 };

  it('binds to the first data and refuses a reordered copy or other data, saying which', () => {
    const binding = new DataBinding(cyclic);
    expect(binding.check({ x, y }, 0)).toBe(true);
    expect(binding.check({ x, y }, 3)).toBe(false);
    expect(() => binding.check(shuffled, 3)).toThrow(/same examples .* in another order \(after 3 steps\)/);
    const other = separableTask(40, 6);
    let error: unknown;
    try {
      binding.check(other, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataMismatchError);
    expect((error as DataMismatchError).change).toBe('content');
    expect((error as Error).message).toMatch(/examples are not the same.*start a new run/);
  });

  it('accepts a new order where the accounting does not depend on it', () => {
    expect(orderMayChange({ mode: 'DP-SGD-AMPLIFIED', participation: 'poisson', stepsPerEpoch: 4 }, 3)).toBe(
      true,
    );
    const base = { mode: 'DP-SGD-BASE', participation: 'streaming', stepsPerEpoch: 4 };
    expect(orderMayChange(base, 8)).toBe(true);
    expect(orderMayChange(base, 6)).toBe(false);
    expect(orderMayChange(cyclic, 8)).toBe(false);
    const binding = new DataBinding(base);
    binding.check({ x, y }, 0);
    expect(() => binding.check(shuffled, 2)).toThrow(/'DP-SGD-BASE' accepts a new order only between epochs/);
    binding.check(shuffled, 4);
    expect(binding.fingerprint).toEqual(fingerprintData(shuffled));
  });
});

describe('a private run is bound to its data, in its order', () => {
  // The audit's setting: N = 200, B = 20, Multi-Epoch-BLT (cyclic, b = 10 steps between participations), ε = 2.
  const data = separableTask(200, 7);
  const order = permutation(200, 13);
  const permuted = { x: rows(data.x, order), y: rows(data.y, order) };
  const options = (): MakePrivateWithEpsilonOptions => ({
    model: classifier(),
    lossFn: crossEntropy,
    datasetSize: 200,
    epochs: 3,
    batchSize: 20,
    targetEpsilon: 2,
    targetDelta: 1e-5,
    maxGradNorm: 1,
    mode: 'Multi-Epoch-BLT',
    learningRate: 0.5,
    seed: 3,
  });

  it('refuses to resume on a permuted copy of the data (and resumes on the data itself)', async () => {
    const first = new PrivacyEngine().makePrivateWithEpsilon(options());
    await first.fit(data, { epochs: 1 });
    const state = await decodeCheckpoint(await encodeCheckpoint(first.exportState()));
    expect(state.dataFingerprint).toEqual(fingerprintData(data));

    const resumed = new PrivacyEngine().makePrivateWithEpsilon(options());
    resumed.restoreState(state);
    // What the permuted copy would do (the audit's measurement): the cyclic batches name indices, so in epoch 2
    // index i is example order[i], and many examples would take part far less than b = 10 steps apart.
    const replay = new CyclicSampler({ datasetSize: 200, batchSize: 20, rng: SeededRandom.fromSeed(0) });
    replay.restoreState(first.sampler.exportState() as CyclicSamplerState);
    const lastStep = new Map<number, number>();
    for (let step = 0; step < 10; step++) for (const i of replay.nextBatch()) lastStep.set(i, step - 10);
    const gaps: number[] = [];
    for (let step = 0; step < 10; step++) {
      for (const i of replay.nextBatch()) gaps.push(step - (lastStep.get(order[i] as number) as number));
    }
    expect(Math.min(...gaps)).toBeLessThan(10);
    expect(gaps.filter((g) => g < 10).length).toBeGreaterThan(50);
    await expect(resumed.fit(permuted, { epochs: 1 })).rejects.toThrow(DataMismatchError);
    await expect(resumed.fit(permuted, { epochs: 1 })).rejects.toThrow(/in another order \(after 10 steps\)/);
    expect(() => resumed.step(permuted)).toThrow(/in another order/);
    // Nothing was drawn: the run goes on with its own data, as the uninterrupted run does.
    expect(resumed.steps).toBe(10);
    await resumed.fit(data, { epochs: 1 });
    await first.fit(data, { epochs: 1 });
    const values = (t: typeof first) => t.exportState().weights.map((w) => w.values);
    expect(values(resumed)).toEqual(values(first));
  });

  it('refuses a permuted copy in a second fit call, and a re-shuffled tf.data dataset', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(options());
    await trainer.fit(data, { epochs: 1 });
    await expect(trainer.fit(permuted, { epochs: 1 })).rejects.toThrow(/in another order/);
    const examples = (tensors: { x: tf.Tensor; y: tf.Tensor }) =>
      tfd.zip({ xs: tfd.array(tf.unstack(tensors.x)), ys: tfd.array(tf.unstack(tensors.y)) });
    await trainer.fit(examples(data), { epochs: 1 });
    const reshuffled = examples(data).shuffle(200, 'another seed');
    await expect(trainer.fit(reshuffled, { epochs: 1 })).rejects.toThrow(/in another order/);
    expect(trainer.steps).toBe(20);
  });

  it('binds a checkpoint without a fingerprint (older format) to the first data given after the restore', async () => {
    const first = new PrivacyEngine().makePrivateWithEpsilon(options());
    await first.fit(data, { epochs: 1 });
    const { dataFingerprint: _dropped, ...older } = first.exportState();
    const resumed = new PrivacyEngine().makePrivateWithEpsilon(options());
    resumed.restoreState(older);
    expect(resumed.exportState().dataFingerprint).toBeUndefined();
    resumed.step(data);
    expect(resumed.exportState().dataFingerprint).toEqual(fingerprintData(data));
    expect(() => resumed.step(permuted)).toThrow(/in another order/);
  });

  it('refuses a fingerprint that is malformed or of another size', () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(options());
    trainer.step(data);
    const state = trainer.exportState();
    const fresh = () => new PrivacyEngine().makePrivateWithEpsilon(options());
    expect(() =>
      fresh().restoreState({ ...state, dataFingerprint: { ...state.dataFingerprint!, ordered: 'x' } }),
    ).toThrow(/checkpoint dataFingerprint must be a data fingerprint/);
    expect(() =>
      fresh().restoreState({ ...state, dataFingerprint: { ...state.dataFingerprint!, examples: 100 } }),
    ).toThrow(/covers 100 examples, this run 200/);
  });
});
