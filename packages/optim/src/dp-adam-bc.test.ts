import { Blt, bltStrategy, identityStrategy } from '@cnm/core';
import type { Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, syntheticGradient, testValues, useCpuBackend } from '../test/tfjs-setup';
import { CorrelatedNoise } from './correlated-noise';
import { DpAdamBc } from './dp-adam-bc';

const tf = await useCpuBackend();
const shapes = [[5, 3], [3], [2, 1, 2]];
const noNoise = {
  strategy: identityStrategy(),
  noiseMultiplier: 0,
  maxGradNorm: 1,
  sensitivity: 1,
  random: { seed: 1 },
};
const blt = new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]);

function makeVariables(): Variable[] {
  return shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(testValues(size, 200 + i), shape));
  });
}

describe('DpAdamBc', () => {
  it('without noise and with a zero floor matches tfjs Adam over 300 steps', () => {
    const mine = makeVariables();
    const theirs = makeVariables();
    const optimizer = new DpAdamBc({
      variables: mine,
      learningRate: 0.01,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-6,
      varianceFloor: 0,
      noise: noNoise,
    });
    const reference = tf.train.adam(0.01, 0.8, 0.99, 1e-6);
    const normaliser = 16;
    for (let t = 0; t < 300; t++) {
      tf.tidy(() => {
        optimizer.step(
          new Map(mine.map((v, i) => [v, tf.mul(syntheticGradient(v, i), normaliser)] as const)),
          normaliser,
        );
        reference.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: syntheticGradient(v, i) })));
      });
    }
    mine.forEach((v, i) => {
      // Adam moves each coordinate by up to lr per step: 300 steps of float32 rounding stay far below 1e-4.
      expect(maxAbsDiff(v.dataSync(), (theirs[i] as Variable).dataSync())).toBeLessThan(1e-4);
    });
    expect(optimizer.noiseVarianceEstimate).toBe(0);
  });

  it('tracks the time-varying noise variance EMA of a BLT with varying normalisers', () => {
    const v = tf.variable(tf.zeros([4]));
    const noise = {
      strategy: bltStrategy(blt),
      noiseMultiplier: 0.9,
      maxGradNorm: 2,
      sensitivity: 1.4,
      random: { seed: 5 },
    };
    const beta2 = 0.95;
    const optimizer = new DpAdamBc({ variables: [v], learningRate: 0.01, beta2, noise });
    const normalisers = [10, 20, 10, 40, 5, 8, 8, 8];
    const d = bltStrategy(blt).inverseCoefficients(normalisers.length);
    const scale = 0.9 * 2 * 1.4;
    let rowNormSquared = 0;
    let weighted = 0;
    normalisers.forEach((b, t) => {
      optimizer.step(new Map([[v, tf.zeros([4])]]), b);
      rowNormSquared += (d[t] as number) ** 2;
      const variance = (scale / b) ** 2 * rowNormSquared;
      weighted = beta2 * weighted + (1 - beta2) * variance;
      expect(optimizer.noiseVarianceEstimate).toBeCloseTo(weighted / (1 - beta2 ** (t + 1)), 12);
    });
    // For DP-SGD with a constant normaliser the estimate is exactly the constant variance at every step.
    const w = tf.variable(tf.zeros([4]));
    const sgdLike = new DpAdamBc({
      variables: [w],
      learningRate: 0.01,
      beta2,
      noise: { ...noise, strategy: identityStrategy() },
    });
    for (let t = 0; t < 5; t++) {
      sgdLike.step(new Map([[w, tf.zeros([4])]]), 10);
      expect(sgdLike.noiseVarianceEstimate).toBeCloseTo((scale / 10) ** 2, 12);
    }
  });

  it('subtracts the estimate in the update (checked against a float64 recomputation)', () => {
    const size = 50;
    const v = tf.variable(tf.tensor(testValues(size, 9)));
    const start = new Float64Array(v.dataSync());
    const noise = {
      strategy: bltStrategy(blt),
      noiseMultiplier: 2,
      maxGradNorm: 1,
      sensitivity: 1.2,
      random: { seed: 11 },
    };
    const sums = testValues(size, 10).map((x) => 40 * x);
    const normaliser = 32;
    const optimizer = new DpAdamBc({ variables: [v], learningRate: 0.1, varianceFloor: 1e-4, noise });
    const replay = new CorrelatedNoise({ ...noise, size });
    const m = new Float64Array(size);
    const s = new Float64Array(size);
    const p = Float64Array.from(start);
    let ema = 0;
    for (let t = 1; t <= 3; t++) {
      optimizer.step(new Map([[v, tf.tensor(sums)]]), normaliser);
      const z = replay.next();
      ema = 0.999 * ema + 0.001 * (replay.lastVariance / normaliser ** 2);
      for (let i = 0; i < size; i++) {
        const g = ((sums[i] as number) + (z[i] as number)) / normaliser;
        m[i] = 0.9 * (m[i] as number) + 0.1 * g;
        s[i] = 0.999 * (s[i] as number) + 0.001 * g * g;
        const corrected = Math.max((s[i] as number) / (1 - 0.999 ** t) - ema / (1 - 0.999 ** t), 1e-4);
        p[i] = (p[i] as number) - (0.1 * ((m[i] as number) / (1 - 0.9 ** t))) / (Math.sqrt(corrected) + 1e-8);
      }
    }
    expect(maxAbsDiff(v.dataSync(), p)).toBeLessThan(1e-5);
    // The correction matters here: plain Adam would have moved differently.
    expect(optimizer.noiseVarianceEstimate).toBeGreaterThan(1e-3);
  });

  it('rejects bad hyper-parameters with the parameter name', () => {
    const v = tf.variable(tf.zeros([2]));
    const make = (extra: object) =>
      new DpAdamBc({ variables: [v], learningRate: 0.1, noise: noNoise, ...extra });
    expect(() => make({ beta1: 1 })).toThrow(/beta1/);
    expect(() => make({ beta2: -0.1 })).toThrow(/beta2/);
    expect(() => make({ epsilon: 0 })).toThrow(/epsilon/);
    expect(() => make({ varianceFloor: -1 })).toThrow(/varianceFloor/);
    expect(() => make({ weightDecay: Number.NaN })).toThrow(/weightDecay/);
    expect(() => make({ learningRate: -1 })).toThrow(/learningRate/);
  });
});
