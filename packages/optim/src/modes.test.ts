import { Blt, bltStrategy, identityStrategy, singleParameterStrategy } from '@cnm/core';
import { describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tfjs-setup';
import { DpAdamBc } from './dp-adam-bc';
import { DpSgd } from './dp-sgd';
import { createModeOptimizer, describeMode, MODE_NAMES, MODES, modeMechanism, strategyKindOf } from './modes';

const tf = await useCpuBackend();
const blt = bltStrategy(new Blt([0.9, 0.5], [0.1, 0.2]));
const base = { noiseMultiplier: 1, maxGradNorm: 1, random: { seed: 1 } } as const;

describe('modes', () => {
  it('lists the seven modes of the original library', () => {
    expect(MODE_NAMES).toEqual([
      'DP-SGD-BASE',
      'DP-SGD-AMPLIFIED',
      'BLT',
      'Multi-Epoch-BLT',
      'Single Parameter',
      'BLT-Adam',
      'Multi-Epoch-BLT-Adam',
    ]);
    for (const name of MODE_NAMES) expect(MODES[name].name).toBe(name);
    expect(MODES['Multi-Epoch-BLT-Adam']).toMatchObject({
      strategy: 'blt',
      optimizer: 'dp-adam-bc',
      fittedFor: 'min-separation',
    });
    expect(MODES['DP-SGD-AMPLIFIED'].accounting).toBe('poisson-subsampled-gaussian');
    expect(() => describeMode('DP-SGD')).toThrow(/mode must be one of 'DP-SGD-BASE'/);
  });

  it('reads the strategy kind from the strategy', () => {
    expect(strategyKindOf(identityStrategy())).toBe('identity');
    expect(strategyKindOf(blt)).toBe('blt');
    expect(strategyKindOf(singleParameterStrategy(0.3))).toBe('single-parameter');
  });

  it('builds the optimizer of the mode and refuses a mismatched strategy or sensitivity', () => {
    const variables = [tf.variable(tf.zeros([3]))];
    const options = (strategy: typeof blt, sensitivity: number) => ({
      variables,
      learningRate: 0.1,
      noise: { ...base, strategy, sensitivity },
    });
    expect(createModeOptimizer('BLT-Adam', options(blt, 2))).toBeInstanceOf(DpAdamBc);
    expect(createModeOptimizer('Multi-Epoch-BLT', options(blt, 2))).toBeInstanceOf(DpSgd);
    expect(createModeOptimizer('DP-SGD-AMPLIFIED', options(identityStrategy(), 1))).toBeInstanceOf(DpSgd);
    expect(() => createModeOptimizer('BLT', options(identityStrategy(), 1))).toThrow(/needs a blt strategy/);
    expect(() => createModeOptimizer('DP-SGD-BASE', options(identityStrategy(), 3))).toThrow(
      /sensitivity must be 1/,
    );
    expect(() => createModeOptimizer('Single Parameter', options(blt, 2))).toThrow(/single-parameter/);
  });
});

describe('modeMechanism', () => {
  const steps = 30;
  const cyclic = { kind: 'cyclic', minSeparation: 10 } as const;

  it('DP-SGD modes: identity with per-step sensitivity 1', () => {
    for (const name of ['DP-SGD-BASE', 'DP-SGD-AMPLIFIED'] as const) {
      const mechanism = modeMechanism(name, { steps, participation: cyclic });
      expect(mechanism.strategy.name).toBe('identity');
      expect(mechanism.sensitivity).toBe(1);
    }
  });

  it('Single Parameter: sensitivity of c_j = gamma^j under the real participation', () => {
    const gamma = 0.6;
    const mechanism = modeMechanism('Single Parameter', { steps, participation: cyclic, gamma });
    // Worst cyclic offset 0 for this non-increasing c: columns 0, 10, 20 summed, then the norm.
    const v = Array.from({ length: steps }, (_, t) =>
      [0, 10, 20].reduce((acc, s) => acc + (t >= s ? gamma ** (t - s) : 0), 0),
    );
    expect(mechanism.sensitivity).toBeCloseTo(Math.sqrt(v.reduce((a, x) => a + x * x, 0)), 12);
    expect(() => modeMechanism('Single Parameter', { steps, participation: cyclic })).toThrow(/gamma/);
  });

  it('BLT modes: fitted for one or for the real participation, charged for the real one', () => {
    const fit = { bufferCount: 2 };
    const streaming = modeMechanism('BLT', { steps, participation: cyclic, fit });
    const multiEpoch = modeMechanism('Multi-Epoch-BLT-Adam', { steps, participation: cyclic, fit });
    expect(strategyKindOf(streaming.strategy)).toBe('blt');
    const coefficients = (m: typeof streaming) => m.strategy.coefficients(steps);
    // The streaming fit reports its single-participation sensitivity; the mode charges three participations.
    expect(streaming.fit?.sensitivity).toBeCloseTo(Math.hypot(...coefficients(streaming)), 10);
    expect(streaming.sensitivity).toBeGreaterThan((streaming.fit?.sensitivity ?? 0) * 1.2);
    expect(multiEpoch.sensitivity).toBeCloseTo(multiEpoch.fit?.sensitivity ?? 0, 10);
    // A BLT fitted for the real participation has the smaller loss there.
    expect(multiEpoch.fit?.loss).toBeLessThanOrEqual(
      (streaming.fit?.loss ?? 0) * (streaming.sensitivity / (streaming.fit?.sensitivity ?? 1)) + 1e-9,
    );
  });
});
