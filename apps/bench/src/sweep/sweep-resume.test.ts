import { describe, expect, it } from 'vitest';
import type { SweepEntry, SweepReport } from './sweep-report';
import { hasRun, resumeSweep } from './sweep-resume';

const setup = { epochs: 1, trainExamples: 600, testExamples: 100, validationExamples: 100, batchSize: 50 };

function entry(name: string, targetEpsilon: number, seed: number, learningRate = 1): SweepEntry {
  return {
    name,
    mode: name,
    targetEpsilon,
    epsilon: targetEpsilon,
    seed,
    accuracy: 50,
    averagedAccuracy: 51,
    learningRate,
    learningRateChoice: 'default',
    epochs: 1,
  };
}

const previous: SweepReport = {
  date: 'd',
  command: 'c',
  machine: {},
  complete: false,
  ...setup,
  seeds: [0, 1, 2],
  epsilons: [1, 8],
  learningRateChoices: [{ name: 'DP-SGD', tried: [{ learningRate: 1, validationAccuracy: 50 }], chosen: 1 }],
  rows: [entry('DP-SGD', 1, 0), entry('DP-SGD', 1, 1)],
};

describe('resuming a sweep', () => {
  it('keeps the choices and runs of a sweep with the same setup', () => {
    const resumed = resumeSweep(JSON.parse(JSON.stringify(previous)), setup, 'old.json');
    expect(resumed.choices).toEqual(previous.learningRateChoices);
    expect(resumed.entries).toEqual(previous.rows);
    expect(hasRun(resumed.entries, { ...entry('DP-SGD', 1, 1) })).toBe(true);
    // Another seed, ε, learning rate or choice is still to run.
    expect(hasRun(resumed.entries, entry('DP-SGD', 1, 2))).toBe(false);
    expect(hasRun(resumed.entries, entry('DP-SGD', 8, 0))).toBe(false);
    expect(hasRun(resumed.entries, entry('DP-SGD', 1, 0, 0.5))).toBe(false);
    expect(hasRun(resumed.entries, { ...entry('DP-SGD', 1, 0), learningRateChoice: 'validation' })).toBe(
      false,
    );
    expect(hasRun(resumed.entries, entry('Multi-Epoch-BLT', 1, 0))).toBe(false);
  });

  it('refuses a sweep run with other settings, naming the setting', () => {
    for (const [key, value] of Object.entries(setup)) {
      expect(() => resumeSweep({ ...previous, [key]: value + 1 }, setup, 'old.json')).toThrow(
        new RegExp(`old.json was run with ${key} ${value + 1}, this sweep has ${value}`),
      );
    }
  });

  it('refuses a file that is not a sweep', () => {
    expect(() => resumeSweep({ rows: 3 }, setup, 'x.json')).toThrow(/x.json is not a sweep.json/);
    expect(() => resumeSweep(null, setup, 'x.json')).toThrow(/not a sweep.json/);
  });
});
