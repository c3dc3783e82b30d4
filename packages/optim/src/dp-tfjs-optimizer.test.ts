import { Blt, bltStrategy, identityStrategy } from '@cnm/core';
import type { Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { maxAbsDiff, syntheticGradient, testValues, useCpuBackend } from '../test/tfjs-setup';
import { DpSgd } from './dp-sgd';
import { DpTfjsOptimizer } from './dp-tfjs-optimizer';
import { optimizerStateFromJson, optimizerStateToJson } from './state-json';

const tf = await useCpuBackend();
const shapes = [[3, 4], [4]];

function makeVariables(): Variable[] {
  return shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(testValues(size, 200 + i), shape));
  });
}

const noise = (noiseMultiplier: number) => ({
  strategy: bltStrategy(new Blt([0.9, 0.4], [0.2, 0.1])),
  noiseMultiplier,
  maxGradNorm: 1,
  sensitivity: 1.5,
  random: { seed: 5 },
});

function sumsOf(variables: Variable[], seed: number) {
  return new Map(variables.map((v, i) => [v, syntheticGradient(v, seed + i)]));
}

describe('DpTfjsOptimizer', () => {
  it('steps with the tf.train.adam it is given, on the noisy mean gradient', () => {
    const mine = makeVariables();
    const theirs = makeVariables();
    const adam = tf.train.adam(0.01);
    const spy = vi.spyOn(adam, 'applyGradients');
    const optimizer = new DpTfjsOptimizer({ variables: mine, optimizer: adam, noise: noise(0) });
    const reference = tf.train.adam(0.01);
    for (let t = 0; t < 4; t++) {
      optimizer.step(sumsOf(mine, 10 * t), 8);
      reference.applyGradients(
        Object.fromEntries(theirs.map((v, i) => [v.name, tf.div(syntheticGradient(v, 10 * t + i), 8)])),
      );
    }
    expect(spy).toHaveBeenCalledTimes(4);
    expect(optimizer.iterations).toBe(4);
    mine.forEach((v, i) => {
      expect(maxAbsDiff(v.dataSync(), theirs[i]!.dataSync())).toBeLessThan(1e-6);
    });
    // The weights really moved (the comparison above is not between two untouched copies).
    expect(maxAbsDiff(mine[0]!.dataSync(), makeVariables()[0]!.dataSync())).toBeGreaterThan(0.01);
  });

  it('adds the same correlated noise as DpSgd: with tf.train.sgd it equals DpSgd step for step', () => {
    const viaTfjs = makeVariables();
    const viaDpSgd = makeVariables();
    const ours = new DpTfjsOptimizer({
      variables: viaTfjs,
      optimizer: tf.train.sgd(0.05),
      noise: noise(1.3),
    });
    const dpSgd = new DpSgd({ variables: viaDpSgd, learningRate: 0.05, noise: noise(1.3) });
    for (let t = 0; t < 5; t++) {
      ours.step(sumsOf(viaTfjs, t), 16);
      dpSgd.step(sumsOf(viaDpSgd, t), 16);
    }
    viaTfjs.forEach((v, i) => {
      expect(maxAbsDiff(v.dataSync(), viaDpSgd[i]!.dataSync())).toBeLessThan(1e-5);
    });
  });

  it('applies decoupled weight decay: w <- w (1 - lr wd), apart from the gradient', () => {
    const variables = makeVariables();
    const before = variables.map((v) => Float32Array.from(v.dataSync()));
    const optimizer = new DpTfjsOptimizer({
      variables,
      optimizer: tf.train.sgd(0.1),
      weightDecay: 0.5,
      noise: { ...noise(0), strategy: identityStrategy(), sensitivity: 1 },
    });
    optimizer.step(new Map(variables.map((v) => [v, tf.zerosLike(v)])), 4);
    variables.forEach((v, i) => {
      const expected = before[i]!.map((p) => p * (1 - 0.1 * 0.5));
      expect(maxAbsDiff(v.dataSync(), expected)).toBeLessThan(1e-7);
    });
  });

  it('exports and restores the noise state', () => {
    const variables = makeVariables();
    const optimizer = new DpTfjsOptimizer({ variables, optimizer: tf.train.sgd(0.1), noise: noise(1) });
    optimizer.step(sumsOf(variables, 1), 4);
    const state = optimizer.exportState();
    expect(state.kind).toBe('dp-tfjs');
    expect(state.step).toBe(1);
    const other = new DpTfjsOptimizer({ variables, optimizer: tf.train.sgd(0.1), noise: noise(1) });
    other.restoreState(state);
    expect(other.iterations).toBe(1);
    const viaJson = optimizerStateFromJson(JSON.parse(JSON.stringify(optimizerStateToJson(state))));
    expect(viaJson).toEqual(state);
    expect(() => other.restoreState({ ...state, kind: 'dp-sgd' } as never)).toThrow(
      /state.kind must be 'dp-tfjs'/,
    );
  });

  it('refuses what is not a tfjs optimizer and a negative weight decay', () => {
    const variables = makeVariables();
    expect(() => new DpTfjsOptimizer({ variables, optimizer: {} as never, noise: noise(1) })).toThrow(
      /optimizer must be a tfjs Optimizer/,
    );
    expect(
      () =>
        new DpTfjsOptimizer({ variables, optimizer: tf.train.sgd(0.1), weightDecay: -1, noise: noise(1) }),
    ).toThrow(/weightDecay/);
  });
});
