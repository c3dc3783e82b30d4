import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { searchBands } from './band-search';
import type { PlaygroundData } from './data/examples';
import { type EpochUpdate, PlaygroundRun, type StepUpdate } from './training';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two separable classes: feature 0 is high for class 1. */
function toyData(count: number): PlaygroundData {
  const split = (n: number, offset: number) => {
    const labels = Int32Array.from({ length: n }, (_, i) => (i + offset) % 2);
    const features = Float32Array.from({ length: n * 4 }, (_, j) =>
      j % 4 === 0 ? labels[Math.floor(j / 4)]! : ((j * 7919) % 13) / 13,
    );
    return { count: n, features, labels };
  };
  return { name: 'toy', featureCount: 4, classCount: 2, train: split(count, 0), test: split(50, 1) };
}

describe('PlaygroundRun', () => {
  it.each(['DP-SGD-AMPLIFIED', 'Multi-Epoch-BLT', 'Amplified-BandMF'] as const)(
    '%s: trains the planned steps within the target epsilon, reporting every step and epoch',
    async (mode) => {
      const run = new PlaygroundRun(toyData(200), {
        mode,
        targetEpsilon: 4,
        targetDelta: 1e-4,
        epochs: 3,
        batchSize: 20,
        learningRate: 0.5,
        maxGradNorm: 1,
        model: 'mlp',
        bands: 2,
      });
      const steps: StepUpdate[] = [];
      const epochs: EpochUpdate[] = [];
      const result = await run.train({ onStep: (u) => steps.push(u), onEpoch: (u) => epochs.push(u) });
      run.dispose();
      expect(result).toMatchObject({ steps: 30, targetEpsilon: 4, reason: 'completed' });
      expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(epochs.map((e) => [e.epoch, e.step])).toEqual([
        [1, 10],
        [2, 20],
        [3, 30],
      ]);
      // Epsilon grows epoch by epoch up to at most the target.
      expect(epochs[0]!.epsilon).toBeGreaterThan(0);
      expect(epochs[1]!.epsilon).toBeGreaterThan(epochs[0]!.epsilon);
      expect(result.epsilon).toBe(epochs[2]!.epsilon);
      expect(result.epsilon).toBeLessThanOrEqual(4);
      expect(result.epsilon).toBeGreaterThan(3);
      expect(result.accuracy).toBe(epochs[2]!.testAccuracy);
      expect(result.samplesPerSecond).toBeGreaterThan(0);
      if (mode === 'Amplified-BandMF') expect(run.trainer.report.bandmf?.bands).toBe(2);
    },
  );

  it("Amplified-BandMF: the page's band search chooses what the engine's bands 'auto' chooses", async () => {
    const settings = {
      mode: 'Amplified-BandMF',
      targetEpsilon: 2,
      targetDelta: 1e-5,
      epochs: 2,
      batchSize: 50,
      learningRate: 0.5,
      maxGradNorm: 1,
      model: 'mlp',
      bands: 'auto',
    } as const;
    const progress: number[] = [];
    const search = await searchBands(200, settings, (p) => progress.push(p.done));
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(search?.total).toBe(4);
    const auto = new PlaygroundRun(toyData(200), settings);
    const chosen = new PlaygroundRun(toyData(200), { ...settings, bands: search!.best.bands });
    expect(auto.trainer.report.bandmf?.bands).toBe(search!.best.bands);
    expect(chosen.trainer.report.noiseMultiplier).toBe(auto.trainer.report.noiseMultiplier);
    auto.dispose();
    chosen.dispose();
    expect(await searchBands(200, settings, undefined, () => true)).toBeUndefined();
  });

  it('Amplified-BandMF: a band count above N / batch size is refused with its name', () => {
    const settings = {
      mode: 'Amplified-BandMF',
      targetEpsilon: 2,
      targetDelta: 1e-5,
      epochs: 1,
      batchSize: 50,
      learningRate: 0.5,
      maxGradNorm: 1,
      model: 'mlp',
      bands: 5,
    } as const;
    expect(() => new PlaygroundRun(toyData(200), settings)).toThrow(/bands/);
  });

  it('passes the engine an out-of-range setting back with its name', () => {
    const settings = {
      mode: 'BLT',
      targetEpsilon: -1,
      targetDelta: 1e-5,
      epochs: 1,
      batchSize: 10,
      learningRate: 1,
      maxGradNorm: 1,
      model: 'mlp',
      bands: 'auto',
    } as const;
    expect(() => new PlaygroundRun(toyData(100), settings)).toThrow(/targetEpsilon/);
  });
});
