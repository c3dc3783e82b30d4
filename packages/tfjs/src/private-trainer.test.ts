import '@tensorflow/tfjs-backend-cpu';
import * as accountant from '@cnm/accountant';
import { GaussianEvent, PoissonSampledEvent, RdpAccountant } from '@cnm/accountant';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import type { MakePrivateOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';
import { BudgetExceededError } from './private-step';

// The accountant's epsilon functions, spied on to count the calls the trainer makes (the values are the real ones).
vi.mock('@cnm/accountant', async (importOriginal) => {
  const original = await importOriginal<typeof import('@cnm/accountant')>();
  return {
    ...original,
    computeEpsilon: vi.fn(original.computeEpsilon),
    gaussianEpsilon: vi.fn(original.gaussianEpsilon),
  };
});

const computeEpsilon = vi.mocked(accountant.computeEpsilon);
const gaussianEpsilon = vi.mocked(accountant.gaussianEpsilon);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  computeEpsilon.mockClear();
  gaussianEpsilon.mockClear();
});

const delta = 1e-5;
const data = separableTask(24, 4);

/** 24 examples, expected batch 4: 6 steps per epoch, 3 epochs, 18 steps. */
function run(overrides: Partial<MakePrivateOptions> = {}): MakePrivateOptions {
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data,
    epochs: 3,
    batchSize: 4,
    noiseMultiplier: 1.1,
    maxGradNorm: 1,
    mode: 'DP-SGD-AMPLIFIED',
    accountant: 'rdp',
    targetEpsilon: 1000,
    targetDelta: delta,
    seed: 6,
    ...overrides,
  };
}

/** Accountant calls since the last clear, and the step counts asked for (Poisson-subsampled accounting). */
function accountantCalls(): { count: number; steps: number[] } {
  return {
    count: computeEpsilon.mock.calls.length + gaussianEpsilon.mock.calls.length,
    steps: computeEpsilon.mock.calls.map(([options]) => options.steps),
  };
}

/** Epsilon after `steps` Poisson-subsampled Gaussian steps, composed one by one in an RDP accountant of its own. */
function rdpEpsilon(noiseMultiplier: number, sampleRate: number, steps: number): number {
  const reference = new RdpAccountant();
  reference.compose(new PoissonSampledEvent(sampleRate, new GaussianEvent(noiseMultiplier)), steps);
  return reference.getEpsilon(delta);
}

describe('epsilon is computed per epoch and on demand, not at every step', () => {
  it('fit(data, options): one accountant call per epoch; getEpsilon reuses it', async () => {
    const trainer = new PrivacyEngine().makePrivate(run());
    // Building the run asked for the whole run's epsilon (the planned epsilon, within the budget).
    computeEpsilon.mockClear();
    let lossesSeen = 0;
    const history = await trainer.fit({
      callbacks: {
        onBatchEnd: (_batch, logs) => {
          if (Number.isFinite(logs.loss)) lossesSeen++;
        },
      },
    });
    expect(trainer.steps).toBe(18);
    expect(lossesSeen).toBeGreaterThan(0);
    // Epochs end at steps 6, 12 and 18; the last was known from building the run.
    expect(accountantCalls()).toEqual({ count: 2, steps: [6, 12] });
    const p = 4 / 24;
    const sigma = trainer.report.gradientNoiseMultiplier;
    history.epsilon.forEach((epsilon, e) => {
      expect(epsilon).toBeCloseTo(rdpEpsilon(sigma, p, 6 * (e + 1)), 10);
    });
    expect(trainer.getEpsilon()).toBe(history.epsilon[2]);
    expect(trainer.getEpsilon()).toBe(history.epsilon[2]);
    expect(accountantCalls().count).toBe(2);
    trainer.getEpsilon(1e-6);
    expect(accountantCalls().count).toBe(3);
  });

  it('batch logs compute epsilon only when a callback reads it, for both fit forms', async () => {
    const reading = new PrivacyEngine().makePrivate(run());
    computeEpsilon.mockClear();
    const batchEpsilons: number[] = [];
    await reading.fit({
      epochs: 1,
      callbacks: { onBatchEnd: (_batch, logs) => void batchEpsilons.push(logs.epsilon) },
    });
    expect(accountantCalls().steps).toEqual([1, 2, 3, 4, 5, 6]);
    const sampleRate = 4 / 24;
    batchEpsilons.forEach((epsilon, i) => {
      expect(epsilon).toBeCloseTo(rdpEpsilon(reading.report.gradientNoiseMultiplier, sampleRate, i + 1), 10);
    });

    const tfjsForm = new PrivacyEngine().makePrivate(run());
    computeEpsilon.mockClear();
    const keys: string[][] = [];
    const history = await tfjsForm.fit(data.x, data.y, {
      epochs: 2,
      callbacks: { onBatchEnd: async (_batch, logs) => void keys.push(Object.keys(logs ?? {})) },
    });
    // tfjs reads every enumerated key of the batch logs before a custom callback: epsilon is not among them.
    expect(keys[0]).not.toContain('epsilon');
    expect(accountantCalls().steps).toEqual([6, 12]);
    expect(history.history.epsilon).toHaveLength(2);

    const tfjsReading = new PrivacyEngine().makePrivate(run());
    computeEpsilon.mockClear();
    const read: number[] = [];
    await tfjsReading.fit(data.x, data.y, {
      epochs: 1,
      callbacks: { onBatchEnd: async (_batch, logs) => void read.push(logs?.epsilon as number) },
    });
    expect(read).toHaveLength(6);
    expect(read[5]).toBe(tfjsReading.getEpsilon());
    expect(accountantCalls().steps).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('the budget refuses the step that would exceed it, without asking the accountant at every step', () => {
  /** The first step whose epsilon exceeds `target`, by brute force over every step count. */
  function firstStepAbove(target: number, sigma: number, sampleRate: number, total: number): number {
    for (let n = 1; n <= total; n++) if (rdpEpsilon(sigma, sampleRate, n) > target) return n;
    return total + 1;
  }

  // A budget between the epsilons of 9 and 10 steps (σ 1.1, sampling rate 1/6).
  const target = (rdpEpsilon(1.1, 4 / 24, 9) + rdpEpsilon(1.1, 4 / 24, 10)) / 2;

  it('step(): refused at exactly the first step above the target', () => {
    const totalSteps = 18;
    const refusedAt = firstStepAbove(target, 1.1, 4 / 24, totalSteps);
    expect(refusedAt).toBe(10);
    computeEpsilon.mockClear();
    const trainer = new PrivacyEngine().makePrivate(run({ targetEpsilon: target }));
    // Building the run found the steps the budget allows by a binary search over the step count.
    expect(accountantCalls().count).toBeLessThanOrEqual(Math.ceil(Math.log2(totalSteps)) + 1);
    computeEpsilon.mockClear();
    for (let i = 1; i < refusedAt; i++) trainer.step();
    // The steps within the budget asked the accountant nothing.
    expect(accountantCalls().count).toBe(0);
    let error: unknown;
    try {
      trainer.step();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(trainer.steps).toBe(refusedAt - 1);
    expect((error as BudgetExceededError).steps).toBe(refusedAt - 1);
    expect((error as Error).message).toMatch(new RegExp(`^step ${refusedAt} would take epsilon`));
    expect(() => trainer.step()).toThrow(BudgetExceededError);
    expect(trainer.steps).toBe(refusedAt - 1);
  });

  it('fit(): ends with reason budget at the same step, one accountant call per epoch', async () => {
    const trainer = new PrivacyEngine().makePrivate(run({ targetEpsilon: target }));
    const refusedAt = firstStepAbove(target, 1.1, 4 / 24, trainer.report.run.totalSteps);
    computeEpsilon.mockClear();
    const history = await trainer.fit();
    expect(history.reason).toBe('budget');
    expect(trainer.steps).toBe(refusedAt - 1);
    expect(accountantCalls().count).toBeLessThanOrEqual(history.epsilon.length);
    expect(history.epsilon.at(-1)).toBe(trainer.getEpsilon());
    expect(trainer.getEpsilon()).toBeLessThanOrEqual(target);
  });
});
