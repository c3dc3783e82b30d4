import { MODE_NAMES } from '@cnm/optim';
import { describe, expect, it } from 'vitest';
import { deltaFor, PROFILES, profileByName, ROWS, selectRows, stepsPerEpoch } from './rows';

describe('rows', () => {
  it('holds the seven rows of the original table in order, then the amplified banded MF rows and DP-Adam', () => {
    expect(ROWS.map((r) => r.name)).toEqual([
      'BLT (Multi Epoch)',
      'BLT (Streaming)',
      'DP-SGD',
      'CNM-AdamBC (Multi Epoch)',
      'CNM-AdamBC (Streaming)',
      'Non Private',
      'Non Private (Adam)',
      'BandMF (Amplified)',
      'BandMF-AdamBC (Amplified)',
      'DP-Adam',
      'DP-SGD (no noise)',
    ]);
    for (const row of ROWS) {
      if (row.deviation == null) expect(row.learningRate).toBe(row.optimizer === 'adam' ? 1e-2 : 1);
      expect(row.private).toBe(row.mode !== 'non-private');
      if (row.mode !== 'non-private') expect(MODE_NAMES).toContain(row.mode);
      if (row.original !== null) expect(row.original.epsilon).toBe(row.private ? 8 : null);
    }
    expect(ROWS.filter((r) => r.deviation != null).map((r) => [r.name, r.learningRate])).toEqual([
      ['Non Private', 0.1],
    ]);
    expect(new Set(ROWS.map((r) => r.id)).size).toBe(ROWS.length);
    const adamModes = ROWS.filter((r) => r.private && r.optimizer === 'adam').map((r) => r.mode);
    expect(adamModes).toEqual([
      'Multi-Epoch-BLT-Adam',
      'BLT-Adam',
      'Amplified-BandMF-Adam',
      'Amplified-BandMF-Adam',
    ]);
    // DP-Adam is one band: independent noise, Poisson sampling, Adam with bias correction.
    expect(ROWS.find((r) => r.id === 'dp-adam')).toMatchObject({ bands: 1, participation: 'cyclicPoisson' });
  });

  it('selects by id or name in table order and refuses unknown rows', () => {
    expect(selectRows().length).toBe(10);
    // A control row runs only when named.
    expect(selectRows().some((r) => r.control === true)).toBe(false);
    expect(selectRows(['dp-sgd-no-noise'])[0]).toMatchObject({
      mode: 'DP-SGD-AMPLIFIED',
      noiseMultiplier: 0,
    });
    expect(selectRows(['non-private', 'dp-sgd']).map((r) => r.name)).toEqual(['DP-SGD', 'Non Private']);
    expect(selectRows(['BLT (Streaming)'])[0]!.id).toBe('blt-streaming');
    expect(() => selectRows(['dpsgd'])).toThrow(/unknown row 'dpsgd'.*blt-multi-epoch/);
  });

  it('profiles: full is the 50-epoch original, quick is shorter', () => {
    expect(PROFILES.full.epochs).toBe(50);
    expect(profileByName('quick').epochs).toBeLessThan(PROFILES.full.epochs);
    expect(() => profileByName('fast')).toThrow(/quick, full|full, quick/);
  });

  it('delta = N^-1.1 and the step count per epoch', () => {
    expect(deltaFor(60_000)).toBeCloseTo(Math.exp(-1.1 * Math.log(60_000)), 15);
    expect(deltaFor(60_000)).toBeLessThan(1 / 60_000);
    expect(() => deltaFor(1)).toThrow(RangeError);
    expect(stepsPerEpoch(60_000)).toBe(58);
    expect(() => stepsPerEpoch(100, 1024)).toThrow(/exceeds/);
  });
});
