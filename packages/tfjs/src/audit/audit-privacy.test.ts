import '@tensorflow/tfjs-backend-cpu';
import { MODE_NAMES, type ModeName } from '@cnm/optim';
import { SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../../test/engine-fixtures';
import type { AuditPrivacyOptions } from './audit-options';
import { auditPrivacy } from './audit-privacy';
import { auditOptions, CANARIES } from './audit-test-setup';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The options without their target epsilon: a run given its noise multiplier. */
function withoutTarget(options: AuditPrivacyOptions): AuditPrivacyOptions {
  const { targetEpsilon: _target, ...rest } = options;
  return rest;
}

describe('auditPrivacy on correct mechanisms', () => {
  it.each(MODE_NAMES.map((mode) => [mode]))(
    '%s: gradient canaries stay below the claimed epsilon over seeds',
    async (mode: ModeName) => {
      for (const seed of [1, 2, 3]) {
        const result = await auditPrivacy(auditOptions(mode, seed));
        // The run is calibrated with its canary slots: the claim is the target.
        expect(result.claimedEpsilon).toBeCloseTo(1, 3);
        expect(result.claimedEpsilon).toBeLessThanOrEqual(1 + 1e-9);
        expect(result.epsilonLowerBound).toBeGreaterThanOrEqual(0);
        expect(result.epsilonLowerBound).toBeLessThanOrEqual(result.claimedEpsilon);
        expect(result.mode).toBe(mode);
        expect(result.canaries).toBe(CANARIES);
        expect(result.correct).toBeLessThanOrEqual(result.guesses);
        expect(result.guesses).toBeLessThanOrEqual(CANARIES);
        const { included, excluded } = result.scoreHistogram;
        expect(included.reduce((a, b) => a + b)).toBe(result.includedCanaries);
        expect(excluded.reduce((a, b) => a + b)).toBe(CANARIES - result.includedCanaries);
      }
    },
    60_000,
  );

  it('never flags DP-SGD-BASE or BLT over many seeds, at a larger claim too (property)', async () => {
    for (const mode of ['DP-SGD-BASE', 'BLT'] as const) {
      for (let seed = 10; seed < 30; seed++) {
        const result = await auditPrivacy(
          auditOptions(mode, seed, { targetEpsilon: seed % 2 === 0 ? 1 : 4 }),
        );
        expect(result.epsilonLowerBound).toBeLessThanOrEqual(result.claimedEpsilon);
      }
    }
  }, 120_000);

  it('audits a run given its noise multiplier, with a fixed sampling of canaries (random option)', async () => {
    const options = withoutTarget(auditOptions('DP-SGD-BASE', 1, { noiseMultiplier: 2 }));
    const first = await auditPrivacy({ ...options, random: SeededRandom.fromSeed(5) });
    const again = await auditPrivacy({ ...options, random: SeededRandom.fromSeed(5) });
    expect(again).toEqual(first);
    expect(first.epsilonLowerBound).toBeLessThanOrEqual(first.claimedEpsilon);
    expect(first.claimedEpsilon).toBeGreaterThan(1);
  }, 60_000);

  it('finds the canaries of a run with almost no noise (the scores carry the signal)', async () => {
    const result = await auditPrivacy(
      withoutTarget(auditOptions('BLT', 1, { noiseMultiplier: 0.02, epochs: 1 })),
    );
    expect(result.claimedEpsilon).toBeGreaterThan(50);
    expect(result.correct).toBe(result.guesses);
    expect(result.epsilonLowerBound).toBeGreaterThan(3);
  }, 60_000);
});

describe('auditPrivacy with input canaries', () => {
  // 24 real examples in 100 dimensions and 100 canaries: inputs a 128-unit layer can memorise in 100 full-batch steps.
  const dim = 100;
  const random = SeededRandom.fromSeed(8);
  const x = tf.tensor2d(
    Array.from({ length: 24 * dim }, () => random.nextFloat64() * 2 - 1),
    [24, dim],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 24 }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const model = () =>
    tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [dim], units: 128, activation: 'tanh' }),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
  const base = {
    model,
    lossFn: crossEntropy,
    data: { x, y },
    epochs: 100,
    batchSize: 124,
    maxGradNorm: 1,
    learningRate: 0.05,
    lossReduction: 'sum' as const,
    targetDelta: 1e-5,
    canaries: 100,
    canaryKind: 'input' as const,
  };

  it('finds memorised canaries when the noise is negligible', async () => {
    const result = await auditPrivacy({ ...base, mode: 'DP-SGD-BASE', noiseMultiplier: 0.001, seed: 1 });
    expect(result.canaryKind).toBe('input');
    expect(result.scoring).toBe('loss');
    expect(result.epsilonLowerBound).toBeGreaterThan(0.4);
  }, 60_000);

  it.each([['DP-SGD-BASE'], ['BLT'], ['DP-SGD-AMPLIFIED']] as const)(
    '%s at epsilon 2 stays below the claim',
    async (mode) => {
      const result = await auditPrivacy({ ...base, mode, targetEpsilon: 2, seed: 2 });
      expect(result.epsilonLowerBound).toBeLessThanOrEqual(result.claimedEpsilon);
    },
    60_000,
  );
});
