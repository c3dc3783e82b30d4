import '@tensorflow/tfjs-backend-cpu';
import {
  computeEpsilon,
  GaussianAccountant,
  GaussianEvent,
  gaussianDelta,
  gaussianEpsilon,
} from '@cnm/accountant';
import type { ModeName } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import reference from '../test/fixtures/adaptive-reference.json';
import type { MakePrivateOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const delta = 1e-5;

/** 16 examples, batch 4: 4 steps per epoch, 2 epochs, 8 steps; every example in at most 2 counts. */
function adaptiveRun(mode: ModeName, noiseMultiplier: number, countNoiseStddev: number): MakePrivateOptions {
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data: separableTask(16, 5),
    epochs: 2,
    batchSize: 4,
    noiseMultiplier,
    maxGradNorm: 1,
    mode,
    clipping: 'adaptive',
    adaptiveClipping: { countNoiseStddev },
    seed: 3,
    ...(mode === 'DP-SGD-AMPLIFIED' ? { accountant: 'rdp' as const } : {}),
  };
}

describe('adaptive clipping: gradient and count accounted together', () => {
  it('DP-SGD-BASE: μ² = k_t (σ_grad⁻² + (2σ_b)⁻²) = k_t / σ², the flat run of the total σ at every step', () => {
    const sigma = 1.5;
    const countMultiplier = 10; // σ_b = 5
    const trainer = new PrivacyEngine().makePrivate(adaptiveRun('DP-SGD-BASE', sigma, 5));
    const gradient = trainer.gradientNoiseMultiplier;
    expect(trainer.noiseMultiplier).toBe(sigma);
    expect(trainer.report.adaptiveClipping?.countNoiseMultiplier).toBe(countMultiplier);
    // Thm. 1 of Andrew et al. (2021) in closed form, up to the engine's upward rounding guard.
    expect(gradient).toBeCloseTo((sigma ** -2 - countMultiplier ** -2) ** -0.5, 12);
    expect(gradient ** -2 + countMultiplier ** -2).toBeLessThanOrEqual(sigma ** -2 * (1 + 1e-12));
    for (let t = 1; t <= 8; t++) {
      trainer.step();
      const participations = Math.ceil(t / 4);
      const flat = gaussianEpsilon({ noiseMultiplier: sigma, compositions: participations, delta });
      expect(trainer.getEpsilon(delta)).toBeCloseTo(flat, 9);
      expect(trainer.getEpsilon(delta)).toBeLessThanOrEqual(flat * (1 + 1e-12));
      // The same from the accountant, composed by hand: k_t gradient releases and k_t counts.
      const byHand = new GaussianAccountant()
        .compose(new GaussianEvent(gradient), participations)
        .compose(new GaussianEvent(countMultiplier), participations);
      expect(trainer.getEpsilon(delta)).toBeCloseTo(byHand.getEpsilon(delta), 10);
      expect(trainer.accountant().getEpsilon(delta)).toBe(trainer.getEpsilon(delta));
    }
  });

  it('BLT (streaming fit, 2 epochs): μ_t² = (sens_t / (σ_grad sens))² + k_t / (2σ_b)², checked in closed form', () => {
    const sigma = 1.2;
    const trainer = new PrivacyEngine().makePrivate(adaptiveRun('BLT', sigma, 4));
    const { report } = trainer;
    const gradient = trainer.gradientNoiseMultiplier;
    // Over the whole run (k = 2): σ_grad = (σ⁻² − k (2σ_b)⁻²)^(−1/2).
    expect(gradient).toBeCloseTo((sigma ** -2 - 2 * 8 ** -2) ** -0.5, 12);
    const c = trainer.optimizer.noise.strategy.coefficients(4);
    const firstEpoch = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
    for (let t = 1; t <= 8; t++) {
      trainer.step();
      if (t !== 4 && t !== 8) continue;
      const sensitivity = t === 4 ? firstEpoch : report.sensitivity;
      const participations = t / 4;
      const mu = Math.sqrt((sensitivity / (gradient * report.sensitivity)) ** 2 + participations / 64);
      expect(trainer.accountant() instanceof GaussianAccountant).toBe(true);
      expect((trainer.accountant() as GaussianAccountant).getMu()).toBeCloseTo(mu, 12);
      // (ε, δ) of μ-GDP, inverted the other way: δ at the reported ε is the target δ.
      const epsilon = trainer.getEpsilon(delta);
      expect(gaussianDelta({ noiseMultiplier: 1 / mu, compositions: 1, epsilon })).toBeCloseTo(delta, 12);
    }
    // At the end the adaptive run costs what the flat run of the total σ costs.
    expect(trainer.getEpsilon(delta)).toBeCloseTo(
      gaussianEpsilon({ noiseMultiplier: sigma, compositions: 1, delta }),
      9,
    );
    const history = trainer.exportState().accountant.state.history;
    expect(history).toHaveLength(2);
    expect(history[1]).toEqual({ event: new GaussianEvent(8).toJSON(), count: 2 });
  });

  it('Single Parameter: epsilon at every step equals the mpmath reference (brute-force sens_t, μ-GDP at 40 digits)', () => {
    const { run } = reference;
    const trainer = new PrivacyEngine().makePrivate({
      ...adaptiveRun('Single Parameter', run.noiseMultiplier, run.countNoiseStddev),
      gamma: run.gamma,
    });
    expect(trainer.report.sensitivity).toBeCloseTo(reference.sensitivity, 12);
    // The engine rounds σ_grad up (by at most a few 1e-12, relative) so that the pair never costs more than σ.
    expect(trainer.gradientNoiseMultiplier / reference.gradientNoiseMultiplier - 1).toBeLessThan(1e-10);
    expect(trainer.gradientNoiseMultiplier).toBeGreaterThanOrEqual(
      reference.gradientNoiseMultiplier * (1 - 1e-15),
    );
    for (const { steps, mu, epsilon } of reference.cases) {
      trainer.step();
      expect(trainer.steps).toBe(steps);
      expect(Math.abs((trainer.accountant() as GaussianAccountant).getMu() / mu - 1)).toBeLessThan(1e-10);
      expect(Math.abs(trainer.getEpsilon(run.delta) / epsilon - 1)).toBeLessThan(1e-9);
    }
  });

  it('DP-SGD-AMPLIFIED: each step one Poisson-subsampled Gaussian of (σ_grad⁻² + (2σ_b)⁻²)^(−1/2) = σ', () => {
    const sigma = 1.1;
    const trainer = new PrivacyEngine().makePrivate(adaptiveRun('DP-SGD-AMPLIFIED', sigma, 5));
    // Thm. 1 of Andrew et al. (2021) in closed form: σ_grad = (σ⁻² − (2σ_b)⁻²)^(−1/2), 2σ_b = 10.
    expect(trainer.gradientNoiseMultiplier).toBeCloseTo((sigma ** -2 - 10 ** -2) ** -0.5, 12);
    for (let t = 0; t < 8; t++) trainer.step();
    const flat = computeEpsilon({
      noiseMultiplier: sigma,
      sampleRate: 0.25,
      steps: 8,
      delta,
      accountant: 'rdp',
    });
    expect(trainer.getEpsilon(delta)).toBeCloseTo(flat, 9);
    expect(trainer.getEpsilon(delta)).toBeLessThanOrEqual(flat * (1 + 1e-12));
  });

  it.each(['BLT', 'DP-SGD-BASE', 'Multi-Epoch-BLT', 'DP-SGD-AMPLIFIED'] as const)(
    '%s: makePrivateWithEpsilon spends at most the target, and nearly all of it',
    async (mode) => {
      const { noiseMultiplier: _, ...options } = adaptiveRun(mode, 1, 3);
      const trainer = new PrivacyEngine().makePrivateWithEpsilon({
        ...options,
        targetEpsilon: 3,
        targetDelta: delta,
      });
      const { report } = trainer;
      expect(report.plannedEpsilon).toBeLessThanOrEqual(3);
      expect(report.plannedEpsilon).toBeGreaterThan(2.99);
      expect(report.gradientNoiseMultiplier).toBeGreaterThan(report.noiseMultiplier);
      expect(report.stepsWithinBudget).toBe(8);
      await trainer.fit();
      expect(trainer.getEpsilon()).toBe(report.plannedEpsilon);
    },
  );

  it('refuses a count noise so small that the counts alone would exceed the budget', () => {
    // BLT over 2 epochs: the counts are √2 / (2σ_b)-GDP, the whole budget 1/σ: 2σ_b must exceed √2 σ.
    expect(() => new PrivacyEngine().makePrivate(adaptiveRun('BLT', 1, 0.7))).toThrow(
      /countNoiseMultiplier \(1.4, twice countNoiseStddev\) is too small: .*must exceed 1.414/,
    );
    expect(() => new PrivacyEngine().makePrivate(adaptiveRun('DP-SGD-AMPLIFIED', 1, 0.5))).toThrow(
      /countNoiseMultiplier \(1, twice countNoiseStddev\) is too small: .*must exceed 1 /,
    );
    const { noiseMultiplier: _, ...options } = adaptiveRun('DP-SGD-BASE', 1, 0.2);
    expect(() =>
      new PrivacyEngine().makePrivateWithEpsilon({ ...options, targetEpsilon: 2, targetDelta: delta }),
    ).toThrow(
      /is too small: .*with targetEpsilon 2 at targetDelta 0.00001 the calibrated total noise multiplier/,
    );
  });

  it('noise multiplier 0: no noise anywhere but the count, and infinite epsilon', () => {
    const trainer = new PrivacyEngine().makePrivate(adaptiveRun('BLT', 0, 1));
    expect(trainer.gradientNoiseMultiplier).toBe(0);
    trainer.step();
    expect(trainer.getEpsilon(delta)).toBe(Number.POSITIVE_INFINITY);
  });
});
