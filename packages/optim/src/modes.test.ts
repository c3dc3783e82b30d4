import { Blt, bltStrategy, identityStrategy, singleParameterStrategy } from '@cnm/core';
import { describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tfjs-setup';
import { DpAdamBc } from './dp-adam-bc';
import { DpSgd } from './dp-sgd';
import { createModeOptimizer, describeMode, MODE_NAMES, MODES, modesWhere, strategyKindOf } from './modes';

const tf = await useCpuBackend();
const blt = bltStrategy(new Blt([0.9, 0.5], [0.1, 0.2]));
const base = { noiseMultiplier: 1, maxGradNorm: 1, random: { seed: 1 } } as const;

describe('modes', () => {
  it('lists the seven modes of the original library and the two amplified banded MF modes', () => {
    expect(MODE_NAMES).toEqual([
      'DP-SGD-BASE',
      'DP-SGD-AMPLIFIED',
      'BLT',
      'Multi-Epoch-BLT',
      'Single Parameter',
      'BLT-Adam',
      'Multi-Epoch-BLT-Adam',
      'Amplified-BandMF',
      'Amplified-BandMF-Adam',
    ]);
    expect(MODES['Amplified-BandMF-Adam']).toMatchObject({
      strategy: 'banded',
      optimizer: 'dp-adam-bc',
      sampling: 'cyclicPoisson',
      accounting: 'amplified-banded',
      sensitivity: 'one',
    });
    for (const name of MODE_NAMES) expect(MODES[name].name).toBe(name);
    expect(MODES['Multi-Epoch-BLT-Adam']).toMatchObject({
      strategy: 'blt',
      optimizer: 'dp-adam-bc',
      fittedFor: 'min-separation',
    });
    expect(MODES['DP-SGD-AMPLIFIED'].accounting).toBe('poisson-subsampled-gaussian');
    expect(MODES['DP-SGD-AMPLIFIED'].sampling).toBe('poisson');
    expect(modesWhere((mode) => mode.sampling === 'poisson')).toBe("'DP-SGD-AMPLIFIED'");
    // Each row's own sampler is one its accounting holds for.
    for (const name of MODE_NAMES) expect(MODES[name].samplers[0]).toBe(MODES[name].sampling);
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
