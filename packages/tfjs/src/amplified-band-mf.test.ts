import '@tensorflow/tfjs-backend-cpu';
import {
  amplifiedBandMfEpsilon,
  amplifiedBandMfEvent,
  calibrateNoiseMultiplier,
  PldAccountant,
  RdpAccountant,
} from '@cnm/accountant';
import { fitBandMf } from '@cnm/core';
import type { ModeName } from '@cnm/optim';
import { CyclicPoissonSampler, CyclicSampler, PoissonSampler, SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { chooseBands } from './band-choice';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { MakePrivateWithEpsilonOptions } from './engine-config';
import { PrivacyEngine } from './privacy-engine';
import type { PrivateTrainer } from './private-trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 64 examples, expected batch 16: 4 steps per epoch, at most 4 bands (p = 16 b / 64 ≤ 1).
const data = separableTask(64, 7);
const delta = 1e-5;

function base(
  mode: ModeName,
  extra: Partial<MakePrivateWithEpsilonOptions> = {},
): MakePrivateWithEpsilonOptions {
  const adam = mode.endsWith('Adam');
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data,
    epochs: 4,
    batchSize: 16,
    targetEpsilon: 8,
    targetDelta: delta,
    maxGradNorm: 1,
    mode,
    learningRate: adam ? 0.1 : 0.5,
    seed: 11,
    accountant: 'rdp',
    ...(adam ? { varianceFloor: 1e-4 } : {}),
    ...extra,
  };
}

function weightsOf(trainer: PrivateTrainer): Float32Array[] {
  return trainer.exportState().weights.map((w) => w.values);
}

describe('amplified banded MF modes', () => {
  it.each(['Amplified-BandMF', 'Amplified-BandMF-Adam'] as const)(
    '%s trains within the budget with the band count of smallest σ(b) · RMSE(b)',
    async (mode) => {
      const trainer = new PrivacyEngine().makePrivateWithEpsilon(base(mode));
      const { report } = trainer;
      expect(report.participation).toBe('cyclic-poisson');
      expect(report.accounting).toBe('amplified-banded (rdp)');
      const bandmf = report.bandmf;
      if (bandmf === undefined) throw new Error('no bandmf report');
      const choice = chooseBands({
        datasetSize: 64,
        batchSize: 16,
        steps: 16,
        targetEpsilon: 8,
        targetDelta: delta,
        accountant: 'rdp',
        momentum: 0,
      });
      expect(choice.map((c) => c.bands).sort()).toEqual([1, 2, 3, 4]);
      expect(bandmf.bands).toBe(choice[0]?.bands);
      expect(bandmf.sampleRate).toBe((16 * bandmf.bands) / 64);
      expect(Math.hypot(...bandmf.coefficients)).toBeCloseTo(1, 14);
      expect(bandmf.loss).toBeCloseTo(fitBandMf({ steps: 16, bands: bandmf.bands }).loss, 12);
      expect(bandmf.noiseRmse).toBeCloseTo(trainer.noiseMultiplier * bandmf.loss, 12);
      expect(trainer.sampler).toBeInstanceOf(CyclicPoissonSampler);
      const history = await trainer.fit();
      expect(history.reason).toBe('completed');
      expect(trainer.steps).toBe(16);
      expect(trainer.evaluate(data).accuracy).toBeGreaterThanOrEqual(0.9);
      expect(trainer.getEpsilon()).toBeLessThanOrEqual(8);
      expect(trainer.getEpsilon()).toBeGreaterThan(7.99);
    },
  );

  it("reports the accountant's ε on SelfComposed(PoissonSampled(p, Gaussian(σ)), ceil(t / b)) at every step", async () => {
    const { targetEpsilon: _, targetDelta: __, ...options } = base('Amplified-BandMF', { bands: 3 });
    for (const accountant of ['rdp', 'pld'] as const) {
      const trainer = new PrivacyEngine().makePrivate({ ...options, accountant, noiseMultiplier: 1.2 });
      const sampleRate = 0.75;
      expect(trainer.report.bandmf?.sampleRate).toBe(sampleRate);
      for (let t = 1; t <= (accountant === 'pld' ? 4 : 16); t++) {
        trainer.step();
        const expected = amplifiedBandMfEpsilon({
          noiseMultiplier: 1.2,
          sampleRate,
          steps: t,
          bands: Math.min(3, t),
          delta,
          accountant,
        });
        expect(trainer.getEpsilon(delta)).toBe(expected);
      }
      const rebuilt = (accountant === 'pld' ? PldAccountant : RdpAccountant).fromJSON(
        trainer.exportState().accountant.state,
      );
      const direct = (accountant === 'pld' ? new PldAccountant() : new RdpAccountant()).compose(
        amplifiedBandMfEvent({ noiseMultiplier: 1.2, sampleRate, steps: trainer.steps, bands: 3 }),
      );
      expect(rebuilt.getEpsilon(delta)).toBe(direct.getEpsilon(delta));
    }
  });

  it("is DP-SGD-AMPLIFIED's noise multiplier exactly with one band", () => {
    const banded = new PrivacyEngine().makePrivateWithEpsilon(base('Amplified-BandMF', { bands: 1 }));
    const dpSgd = new PrivacyEngine().makePrivateWithEpsilon(base('DP-SGD-AMPLIFIED'));
    expect(banded.noiseMultiplier).toBe(dpSgd.noiseMultiplier);
    expect(banded.noiseMultiplier).toBe(
      calibrateNoiseMultiplier({
        targetEpsilon: 8,
        targetDelta: delta,
        sampleRate: 0.25,
        steps: 16,
        accountant: 'rdp',
      }),
    );
    expect(banded.report.bandmf?.coefficients).toEqual([1]);
  });

  it('checkpoints: stop, save, load into a fresh run, resume = uninterrupted run, bit for bit', async () => {
    const options = base('Amplified-BandMF-Adam', { bands: 2, weightAverage: {} });
    const straight = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
    await straight.fit();
    const first = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
    await first.fit({ epochs: 2 });
    const bytes = await encodeCheckpoint(first.exportState());
    const resumed = new PrivacyEngine().makePrivateWithEpsilon({
      ...options,
      model: classifier(3),
      seed: 999,
    });
    resumed.restoreState(await decodeCheckpoint(bytes));
    expect(resumed.steps).toBe(8);
    await resumed.fit();
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    expect(resumed.getEpsilon()).toBe(straight.getEpsilon());
    // Another band count is another run.
    const other = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3), bands: 3 });
    const state = await decodeCheckpoint(bytes);
    expect(() => other.restoreState(state)).toThrow(/does not match this run/);
  });

  it('works with adaptive clipping, the count paid within the same target', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(
      base('Amplified-BandMF', { bands: 2, clipping: 'adaptive', adaptiveClipping: { countNoiseStddev: 8 } }),
    );
    expect(trainer.gradientNoiseMultiplier).toBeGreaterThan(trainer.noiseMultiplier);
    await trainer.fit();
    expect(trainer.getEpsilon()).toBeLessThanOrEqual(8);
    expect(trainer.getEpsilon()).toBeGreaterThan(7.9);
  });

  it('accepts a CyclicPoissonSampler and refuses samplers the accounting does not cover', () => {
    const { batchSize: _, ...options } = base('Amplified-BandMF');
    const sampler = new CyclicPoissonSampler({
      datasetSize: 64,
      bands: 2,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(1),
    });
    const trainer = new PrivacyEngine().makePrivateWithEpsilon({ ...options, sampler });
    expect(trainer.report.bandmf?.bands).toBe(2);
    expect(trainer.report.run.batchSize).toBe(16);
    const cyclic = new CyclicSampler({ datasetSize: 64, batchSize: 16 });
    expect(() => new PrivacyEngine().makePrivateWithEpsilon({ ...options, sampler: cyclic })).toThrow(
      /mode 'Amplified-BandMF' is not accounted for a cyclic sampler/,
    );
    const poisson = new PoissonSampler({ datasetSize: 64, sampleRate: 0.25, rng: SeededRandom.fromSeed(1) });
    expect(() => new PrivacyEngine().makePrivateWithEpsilon({ ...options, sampler: poisson })).toThrow(
      /cyclic Poisson sampling.*CyclicPoissonSampler/,
    );
    expect(() =>
      new PrivacyEngine().makePrivateWithEpsilon({ ...base('Amplified-BandMF'), poissonSampling: true }),
    ).toThrow(/leave poissonSampling unset/);
    const { batchSize: __, ...dpSgd } = base('DP-SGD-AMPLIFIED');
    const other = new CyclicPoissonSampler({
      datasetSize: 64,
      bands: 2,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(1),
    });
    expect(() => new PrivacyEngine().makePrivateWithEpsilon({ ...dpSgd, sampler: other })).toThrow(
      /cyclicPoisson/,
    );
  });

  it.each([
    [{ bands: 0 }, /bands must be an integer in \[1, 4\], got 0/],
    [{ bands: 5 }, /bands must be an integer in \[1, 4\], got 5/],
    [{ bands: 2.5 }, /bands must be an integer in \[1, 4\]/],
  ])('rejects %o naming the option and its range', (extra, message) => {
    expect(() => new PrivacyEngine().makePrivateWithEpsilon(base('Amplified-BandMF', extra))).toThrow(
      message,
    );
  });

  it("refuses bands for other modes, and 'auto' without a target", () => {
    expect(() => new PrivacyEngine().makePrivateWithEpsilon(base('BLT', { bands: 2 }))).toThrow(
      /bands applies to the amplified banded MF modes/,
    );
    const { targetEpsilon: _, targetDelta: __, ...options } = base('Amplified-BandMF');
    expect(() => new PrivacyEngine().makePrivate({ ...options, noiseMultiplier: 1 })).toThrow(
      /bands 'auto' calibrates the noise for each band count: use makePrivateWithEpsilon/,
    );
  });
});
