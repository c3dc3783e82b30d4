import { Blt, bltStrategy, identityStrategy } from '@cnm/core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, syntheticGradient, testValues, useCpuBackend } from '../test/tfjs-setup';
import { DpSgd } from './dp-sgd';
import { piecewiseConstant } from './learning-rate';

const tf = await useCpuBackend();
const shapes = [[3, 4], [4], [2, 2, 2]];
const noNoise = {
  strategy: identityStrategy(),
  noiseMultiplier: 0,
  maxGradNorm: 1,
  sensitivity: 1,
  random: { seed: 1 },
};

function makeVariables(): Variable[] {
  return shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(testValues(size, 100 + i), shape));
  });
}

/** Runs `steps` steps of ours and of a tfjs optimizer from the same start on the synthetic gradient. */
function compare(
  ours: (variables: Variable[]) => DpSgd,
  reference: () => {
    applyGradients(g: { name: string; tensor: Tensor }[]): void;
    setLearningRate?(lr: number): void;
  },
  steps: number,
  normaliser: number,
  learningRateAt?: (t: number) => number,
): number {
  const mine = makeVariables();
  const theirs = makeVariables();
  const optimizer = ours(mine);
  const tfOptimizer = reference();
  for (let t = 0; t < steps; t++) {
    tf.tidy(() => {
      const sums = new Map(mine.map((v, i) => [v, tf.mul(syntheticGradient(v, i), normaliser)] as const));
      optimizer.step(sums, normaliser);
      if (learningRateAt && tfOptimizer.setLearningRate) tfOptimizer.setLearningRate(learningRateAt(t));
      tfOptimizer.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: syntheticGradient(v, i) })));
    });
  }
  let worst = 0;
  mine.forEach((v, i) => {
    worst = Math.max(worst, maxAbsDiff(v.dataSync(), (theirs[i] as Variable).dataSync()));
  });
  return worst;
}

describe('DpSgd without noise matches tfjs', () => {
  beforeAll(() => {
    expect(tf.getBackend()).toBe('cpu');
  });

  it('plain SGD over 200 steps', () => {
    const worst = compare(
      (variables) => new DpSgd({ variables, learningRate: 0.05, noise: noNoise }),
      () => tf.train.sgd(0.05),
      200,
      4,
    );
    expect(worst).toBeLessThan(2e-5);
  });

  it('momentum over 200 steps', () => {
    const worst = compare(
      (variables) => new DpSgd({ variables, learningRate: 0.02, momentum: 0.9, noise: noNoise }),
      () => tf.train.momentum(0.02, 0.9),
      200,
      8,
    );
    expect(worst).toBeLessThan(2e-5);
  });

  it('Nesterov momentum over 200 steps', () => {
    const worst = compare(
      (variables) =>
        new DpSgd({ variables, learningRate: 0.02, momentum: 0.8, nesterov: true, noise: noNoise }),
      () => tf.train.momentum(0.02, 0.8, true),
      200,
      1,
    );
    expect(worst).toBeLessThan(2e-5);
  });

  it('a learning-rate schedule, applied at the step it names', () => {
    const schedule = piecewiseConstant([10, 30], [0.1, 0.03, 0.01]);
    const worst = compare(
      (variables) => new DpSgd({ variables, learningRate: schedule, noise: noNoise }),
      () => tf.train.sgd(schedule(0)),
      60,
      2,
      (t) => schedule(t),
    );
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('DpSgd', () => {
  it('applies L2 weight decay as weightDecay * param added to the gradient', () => {
    const v = tf.variable(tf.tensor([1, -2]));
    const optimizer = new DpSgd({ variables: [v], learningRate: 0.1, weightDecay: 0.5, noise: noNoise });
    optimizer.step(new Map([[v, tf.tensor([2, 2])]]), 2);
    // g = (1, 1) + 0.5 * (1, -2) = (1.5, 0); p = (1 - 0.15, -2)
    expect(maxAbsDiff(v.dataSync(), [0.85, -2])).toBeLessThan(1e-6);
  });

  it('applies decoupled weight decay apart from the gradient and the momentum (SGDW)', () => {
    const v = tf.variable(tf.tensor([1, -2]));
    const optimizer = new DpSgd({
      variables: [v],
      learningRate: 0.1,
      momentum: 0.9,
      decoupledWeightDecay: 0.5,
      noise: noNoise,
    });
    optimizer.step(new Map([[v, tf.tensor([2, 2])]]), 2);
    // p = p (1 - 0.1 * 0.5) - 0.1 * g with g = (1, 1), velocity = g
    expect(maxAbsDiff(v.dataSync(), [0.95 - 0.1, -1.9 - 0.1])).toBeLessThan(1e-6);
    optimizer.step(new Map([[v, tf.tensor([0, 0])]]), 2);
    // velocity = 0.9 (1, 1): the decay does not enter it
    expect(maxAbsDiff(v.dataSync(), [0.85 * 0.95 - 0.09, -2 * 0.95 * 0.95 - 0.1 * 0.95 - 0.09])).toBeLessThan(
      1e-6,
    );
    expect(
      () => new DpSgd({ variables: [v], learningRate: 0.1, decoupledWeightDecay: -1, noise: noNoise }),
    ).toThrow(/decoupledWeightDecay/);
  });

  it('leaves no tensor behind: the tensor count stays flat over steps', () => {
    const v = tf.variable(tf.zeros([3, 2]));
    const sum = tf.ones([3, 2]);
    const optimizer = new DpSgd({
      variables: [v],
      learningRate: 0.1,
      momentum: 0.5,
      noise: { ...noNoise, noiseMultiplier: 1 },
    });
    optimizer.step(new Map([[v, sum]]), 1);
    const before = tf.memory().numTensors;
    for (let t = 0; t < 10; t++) optimizer.step(new Map([[v, sum]]), 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(sum.isDisposed).toBe(false);
  });

  it('accepts a NamedTensorMap keyed by variable name', () => {
    const v = tf.variable(tf.tensor([1]));
    const optimizer = new DpSgd({ variables: [v], learningRate: 1, noise: noNoise });
    optimizer.step({ [v.name]: tf.tensor([0.25]) }, 1);
    expect(v.dataSync()[0]).toBeCloseTo(0.75, 6);
    expect(optimizer.iterations).toBe(1);
  });

  it('per-step noise std equals sigma * clip * sens * ||row_t(C^-1)|| / normaliser (within 5 standard errors)', () => {
    // Zero gradients, zero start and lr = 1: each step moves every parameter by -noise_t / B. The
    // sample standard deviation of the per-step move over N coordinates has relative standard error
    // 1/sqrt(2N) (0.35% for N = 40,000); the bound is 5 of them.
    const size = 40_000;
    const strategy = bltStrategy(new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]));
    const v = tf.variable(tf.zeros([size]));
    const noise = { strategy, noiseMultiplier: 1.1, maxGradNorm: 0.5, sensitivity: 1.7, random: { seed: 3 } };
    const normaliser = 64;
    const optimizer = new DpSgd({ variables: [v], learningRate: 1, noise });
    const steps = 5;
    const d = strategy.inverseCoefficients(steps);
    const zero = tf.zeros([size]);
    let previous = new Float32Array(size);
    let rowNormSquared = 0;
    for (let t = 0; t < steps; t++) {
      optimizer.step(new Map([[v, zero]]), normaliser);
      const current = new Float32Array(v.dataSync());
      let sumSquares = 0;
      for (let i = 0; i < size; i++) sumSquares += ((current[i] as number) - (previous[i] as number)) ** 2;
      previous = current;
      rowNormSquared += (d[t] as number) ** 2;
      const expected = (1.1 * 0.5 * 1.7 * Math.sqrt(rowNormSquared)) / normaliser;
      const empirical = Math.sqrt(sumSquares / size);
      expect(Math.abs(empirical / expected - 1)).toBeLessThan(5 / Math.sqrt(2 * size));
    }
  });

  it('a per-step clipping norm (adaptive clipping) scales only the noise of that step', () => {
    const strategy = bltStrategy(new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]));
    const noise = { strategy, noiseMultiplier: 1.1, maxGradNorm: 0.5, sensitivity: 1.7, random: { seed: 9 } };
    const fixed = tf.variable(tf.zeros([64]));
    const adaptive = tf.variable(tf.zeros([64]));
    const a = new DpSgd({ variables: [fixed], learningRate: 1, noise });
    const b = new DpSgd({ variables: [adaptive], learningRate: 1, noise });
    const zero = tf.zeros([64]);
    let previousFixed = new Float32Array(64);
    let previousAdaptive = new Float32Array(64);
    for (const norm of [0.5, 2, 0.125, 1]) {
      a.step(new Map([[fixed, zero]]), 8);
      b.step(new Map([[adaptive, zero]]), 8, norm);
      const nowFixed = new Float32Array(fixed.dataSync());
      const nowAdaptive = new Float32Array(adaptive.dataSync());
      const moveFixed = nowFixed.map((v, i) => v - (previousFixed[i] as number));
      const moveAdaptive = nowAdaptive.map((v, i) => v - (previousAdaptive[i] as number));
      const expected = moveFixed.map((v) => (v * norm) / 0.5);
      expect(maxAbsDiff(moveAdaptive, expected)).toBeLessThan(1e-5);
      previousFixed = nowFixed;
      previousAdaptive = nowAdaptive;
    }
  });

  it('rejects bad options and inputs with clear errors', () => {
    const v = tf.variable(tf.zeros([2, 3]));
    const w = tf.variable(tf.zeros([3]));
    const make = (extra: object) =>
      new DpSgd({ variables: [v, w], learningRate: 0.1, noise: noNoise, ...extra });
    expect(() => make({ learningRate: -0.1 })).toThrow(/learningRate must be a finite number/);
    expect(() => make({ learningRate: () => Number.NaN })).toThrow(/learningRate/);
    expect(() => make({ noise: { ...noNoise, noiseMultiplier: -1 } })).toThrow(/noiseMultiplier/);
    expect(() => make({ momentum: 1 })).toThrow(/momentum/);
    expect(() => make({ nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => make({ weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => make({ variables: [] })).toThrow(/variables/);
    expect(() => make({ variables: [v, v] })).toThrow(/appears twice/);
    expect(() => make({ variables: [tf.zeros([2])] })).toThrow(/tf.Variable/);

    const optimizer = make({});
    const good = new Map([
      [v, tf.zeros([2, 3])],
      [w, tf.zeros([3])],
    ]);
    expect(() => optimizer.step(good, 0)).toThrow(/normaliser/);
    expect(() => optimizer.step(good, Number.POSITIVE_INFINITY)).toThrow(/normaliser/);
    expect(() => optimizer.step(new Map([[v, tf.zeros([2, 3])]]), 1)).toThrow(/no entry for variable/);
    const stranger = tf.variable(tf.zeros([3]));
    expect(() => optimizer.step(new Map([...good, [stranger, tf.zeros([3])]]), 1)).toThrow(
      /not a variable of this/,
    );
    expect(() =>
      optimizer.step(
        new Map([
          [v, tf.zeros([3, 2])],
          [w, tf.zeros([3])],
        ]),
        1,
      ),
    ).toThrow(/must have shape \[2, 3\], got \[3, 2\]/);
    expect(() =>
      optimizer.step(
        new Map([
          [v, tf.zeros([2, 3])],
          [w, tf.tensor([0, Number.NaN, 0])],
        ]),
        1,
      ),
    ).toThrow(/must be finite/);
    expect(() =>
      optimizer.step(
        new Map([
          [v, tf.zeros([2, 3], 'int32')],
          [w, tf.zeros([3])],
        ]),
        1,
      ),
    ).toThrow(/dtype float32/);
    // Nothing moved and no step was counted after the failures.
    expect(optimizer.iterations).toBe(0);
    optimizer.step(good, 1);
    expect(optimizer.iterations).toBe(1);
  });
});
