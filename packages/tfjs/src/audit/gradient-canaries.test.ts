import '@tensorflow/tfjs-backend-cpu';
import { identityStrategy, singleParameterStrategy } from '@cnm/core';
import { CorrelatedNoise, DpSgd } from '@cnm/optim';
import { SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { canaryCoordinates, GradientCanaryRecorder } from './gradient-canaries';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('canaryCoordinates', () => {
  it('draws distinct coordinates inside the parameters', () => {
    const coordinates = canaryCoordinates(50, 50, SeededRandom.fromSeed(1));
    expect(new Set(coordinates).size).toBe(50);
    expect(Math.min(...coordinates)).toBe(0);
    expect(Math.max(...coordinates)).toBe(49);
    const some = canaryCoordinates(1000, 10, SeededRandom.fromSeed(2));
    expect(new Set(some).size).toBe(10);
    for (const c of some) expect(c >= 0 && c < 1000).toBe(true);
  });

  it('refuses more canaries than parameters, naming the count', () => {
    expect(() => canaryCoordinates(5, 6, SeededRandom.fromSeed(1))).toThrow(
      /canaries must be at most the model's trainable parameters \(5\)/,
    );
  });
});

describe('GradientCanaryRecorder', () => {
  const strategy = singleParameterStrategy(0.6);
  let run = 0;

  function setup(options: { clip: boolean; gradientNorm: number; noiseMultiplier: number }) {
    run += 1;
    const a = tf.variable(tf.zeros([2, 3]), true, `audit-a${run}`);
    const b = tf.variable(tf.zeros([4]), true, `audit-b${run}`);
    const optimizer = new DpSgd({
      variables: [a, b],
      learningRate: 1,
      noise: {
        strategy,
        noiseMultiplier: options.noiseMultiplier,
        maxGradNorm: 2,
        sensitivity: 1.5,
        random: { seed: 9 },
      },
    });
    // Canary 0 at coordinate 1 (in a), canary 1 at coordinate 7 (b[1]), canary 2 at coordinate 9 (b[3]).
    const recorder = new GradientCanaryRecorder(optimizer, {
      dataSize: 5,
      coordinates: Int32Array.from([1, 7, 9]),
      included: Uint8Array.from([1, 1, 0]),
      gradientNorm: options.gradientNorm,
      clipNorm: 2,
      steps: 3,
      clip: options.clip,
    });
    return { a, b, optimizer, recorder };
  }

  it('keeps the canary slots out of the batch and records it whole', () => {
    const { a, b, recorder } = setup({ clip: true, gradientNorm: 2, noiseMultiplier: 0 });
    expect(Array.from(recorder.realIndices(Int32Array.from([0, 5, 3, 7, 6])))).toEqual([0, 3]);
    expect(Array.from(recorder.batches[0] as Int32Array)).toEqual([0, 5, 3, 7, 6]);
    tf.dispose([a, b]);
  });

  it('adds the included canaries of the batch, clipped, and records sums + noise at their coordinates', () => {
    const { a, b, optimizer, recorder } = setup({ clip: true, gradientNorm: 5, noiseMultiplier: 1 });
    // A twin noise generator replays the optimizer's noise.
    const twin = new CorrelatedNoise({
      strategy,
      size: 10,
      noiseMultiplier: 1,
      maxGradNorm: 2,
      sensitivity: 1.5,
      random: { seed: 9 },
    });
    const batches = [Int32Array.from([5, 6, 7]), Int32Array.from([0, 6]), Int32Array.from([])];
    const expected: number[][] = [[], [], []];
    for (const batch of batches) {
      const real = { [a.name]: tf.fill([2, 3], 0.5), [b.name]: tf.tensor1d([1, 2, 3, 4]) };
      const sums = recorder.withCanaries(batch, real);
      const noise = twin.next();
      // Canary 0 is slot 5, canary 1 slot 6, canary 2 slot 7 (excluded); clipped contribution 2 (norm 5 > 2).
      const contribution = (slot: number) => (batch.includes(slot) ? 2 : 0);
      const plain = [0.5 + contribution(5), 2 + contribution(6), 4];
      const flat = [...(sums[a.name] as tf.Tensor).dataSync(), ...(sums[b.name] as tf.Tensor).dataSync()];
      expect([flat[1], flat[7], flat[9]]).toEqual(plain);
      optimizer.step(sums, 1);
      expected[0]?.push((plain[0] as number) + (noise[1] as number));
      expected[1]?.push((plain[1] as number) + (noise[7] as number));
      expected[2]?.push((plain[2] as number) + (noise[9] as number));
      tf.dispose([...Object.values(real), ...Object.values(sums)]);
    }
    recorder.released.forEach((released, i) => {
      (expected[i] as number[]).forEach((value, t) => {
        expect(released[t]).toBeCloseTo(value, 4);
      });
    });
    expect(recorder.contributionNorm).toBe(2);
    tf.dispose([a, b]);
  });

  it('adds the canaries unclipped only when told not to clip', () => {
    const { a, b, recorder } = setup({ clip: false, gradientNorm: 5, noiseMultiplier: 0 });
    const real = { [a.name]: tf.zeros([2, 3]), [b.name]: tf.zeros([4]) };
    const sums = recorder.withCanaries(Int32Array.from([5]), real);
    expect((sums[a.name] as tf.Tensor).dataSync()[1]).toBe(5);
    tf.dispose([a, b, ...Object.values(real), ...Object.values(sums)]);
  });

  it('refuses a step beyond the planned run', () => {
    const a = tf.variable(tf.zeros([3]), true, 'audit-c');
    const optimizer = new DpSgd({
      variables: [a],
      learningRate: 1,
      noise: {
        strategy: identityStrategy(),
        noiseMultiplier: 0,
        maxGradNorm: 1,
        sensitivity: 1,
        random: { seed: 1 },
      },
    });
    const recorder = new GradientCanaryRecorder(optimizer, {
      dataSize: 1,
      coordinates: Int32Array.from([0]),
      included: Uint8Array.from([1]),
      gradientNorm: 1,
      clipNorm: 1,
      steps: 1,
      clip: true,
    });
    const step = () => {
      const sums = recorder.withCanaries(Int32Array.from([1]), { 'audit-c': tf.zeros([3]) });
      optimizer.step(sums, 1);
    };
    step();
    expect(() => step()).toThrow(/more steps than the audit planned/);
    tf.dispose(a);
  });
});
