import { Blt, bltStrategy } from '@cnm/core';
import type { Optimizer, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { syntheticGradient, testValues, useCpuBackend } from '../test/tfjs-setup';
import { DpTfjsOptimizer } from './dp-tfjs-optimizer';
import { optimizerStateFromJson, optimizerStateToJson } from './state-json';
import { exportTfjsOptimizerSlots, prepareTfjsOptimizerSlots } from './tfjs-optimizer-slots';

const tf = await useCpuBackend();
const shapes = [[3, 4], [4], [2, 2]];

function makeVariables(values?: readonly Float32Array[]): Variable[] {
  return shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(values?.[i] ?? testValues(size, 500 + i), shape));
  });
}

const noise = {
  strategy: bltStrategy(new Blt([0.9, 0.4], [0.2, 0.1])),
  noiseMultiplier: 0.7,
  maxGradNorm: 1,
  sensitivity: 1.5,
  random: { seed: 11 },
};

/** Every tfjs optimizer, with settings that exercise its state (momentum, centering, decay). */
const OPTIMIZERS: Record<string, () => Optimizer> = {
  sgd: () => tf.train.sgd(0.1),
  momentum: () => tf.train.momentum(0.05, 0.9),
  nesterov: () => tf.train.momentum(0.05, 0.9, true),
  adam: () => tf.train.adam(0.01, 0.8, 0.95),
  adamax: () => tf.train.adamax(0.01, 0.9, 0.99, undefined, 0.01),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0.5, undefined, true),
  adagrad: () => tf.train.adagrad(0.1),
  adadelta: () => tf.train.adadelta(1, 0.9),
};

function run(optimizer: DpTfjsOptimizer, variables: Variable[], steps: number): void {
  for (let t = 0; t < steps; t++) {
    const seed = 40 + optimizer.iterations;
    tf.tidy(() => {
      optimizer.step(new Map(variables.map((v, i) => [v, tf.mul(syntheticGradient(v, seed + i), 6)])), 6);
    });
  }
}

const values = (variables: Variable[]) => variables.map((v) => new Float32Array(v.dataSync()));

describe.each(Object.keys(OPTIMIZERS))('the state of tf.train.%s', (name) => {
  const make = OPTIMIZERS[name] as () => Optimizer;

  it('exported after k steps and restored (through JSON) into fresh objects, continues bit for bit', () => {
    const straight = makeVariables();
    run(new DpTfjsOptimizer({ variables: straight, optimizer: make(), noise }), straight, 9);

    const first = makeVariables();
    const head = new DpTfjsOptimizer({ variables: first, optimizer: make(), noise });
    run(head, first, 4);
    const state = optimizerStateFromJson(
      JSON.parse(JSON.stringify(optimizerStateToJson(head.exportState()))),
    );
    const saved = values(first);
    expect(state.kind === 'dp-tfjs' && state.inner?.iterations).toBe(4);
    run(head, first, 2); // the exported state must not alias the live variables

    const fresh = makeVariables(saved);
    const resumed = new DpTfjsOptimizer({ variables: fresh, optimizer: make(), noise });
    resumed.restoreState(state as never);
    run(resumed, fresh, 5);
    expect(values(fresh)).toEqual(values(straight));
  });
});

describe('tfjs optimizer state checks', () => {
  it('refuses another class or other settings, before changing anything', () => {
    const variables = makeVariables();
    const adam = new DpTfjsOptimizer({ variables, optimizer: tf.train.adam(0.01), noise });
    run(adam, variables, 2);
    const state = adam.exportState();
    const other = new DpTfjsOptimizer({ variables, optimizer: tf.train.adam(0.02), noise });
    expect(() => other.restoreState(state)).toThrow(
      /saved with the optimizer settings .*"learningRate":0.01/,
    );
    expect(other.iterations).toBe(0);
    const rmsprop = new DpTfjsOptimizer({ variables, optimizer: tf.train.rmsprop(0.01), noise });
    expect(() => rmsprop.restoreState(state)).toThrow(/tfjs Adam optimizer, this run has RMSProp/);
    const broken = {
      ...state,
      inner: {
        ...state.inner!,
        slots: {
          ...state.inner!.slots,
          accumulatedFirstMoment: state.inner!.slots.accumulatedFirstMoment!.slice(1),
        },
      },
    };
    const fresh = new DpTfjsOptimizer({ variables, optimizer: tf.train.adam(0.01), noise });
    expect(() => fresh.restoreState(broken)).toThrow(
      /state.inner.slots.accumulatedFirstMoment must hold 0 or 3/,
    );
    expect(fresh.iterations).toBe(0);
    expect(exportTfjsOptimizerSlots(fresh.inner).iterations).toBe(0);
  });

  it('a state of step 0 restored into a trained optimizer starts its slots afresh', () => {
    const variables = makeVariables();
    const optimizer = tf.train.adam(0.01);
    const atStart = exportTfjsOptimizerSlots(optimizer);
    expect(atStart.slots).toEqual({ accumulatedFirstMoment: [], accumulatedSecondMoment: [] });
    run(new DpTfjsOptimizer({ variables, optimizer, noise }), variables, 3);
    expect(exportTfjsOptimizerSlots(optimizer).slots.accumulatedFirstMoment).toHaveLength(3);
    prepareTfjsOptimizerSlots(optimizer, variables, atStart, 'state')();
    expect(exportTfjsOptimizerSlots(optimizer)).toEqual(atStart);
  });

  it('a state without the tfjs optimizer part (earlier versions) restores the noise and the step only', () => {
    const variables = makeVariables();
    const head = new DpTfjsOptimizer({ variables, optimizer: tf.train.momentum(0.05, 0.9), noise });
    run(head, variables, 2);
    const { inner: _, ...old } = head.exportState();
    const fresh = new DpTfjsOptimizer({ variables, optimizer: tf.train.momentum(0.05, 0.9), noise });
    fresh.restoreState(old);
    expect(fresh.iterations).toBe(2);
    expect(exportTfjsOptimizerSlots(fresh.inner).iterations).toBe(0);
  });
});
