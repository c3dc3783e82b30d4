import { describe, expect, it } from 'vitest';
import { modeMechanism } from './mode-mechanism';
import { strategyKindOf } from './modes';

describe('modeMechanism', () => {
  const steps = 30;
  const cyclic = { kind: 'cyclic', minSeparation: 10 } as const;

  it('DP-SGD modes: identity with per-step noise sensitivity 1', () => {
    for (const name of ['DP-SGD-BASE', 'DP-SGD-AMPLIFIED'] as const) {
      const mechanism = modeMechanism(name, { steps, participation: cyclic });
      expect(mechanism.strategy.name).toBe('identity');
      expect(mechanism.noiseSensitivity).toBe(1);
    }
    // Without amplification the run is one Gaussian mechanism: sqrt(3) for three participations.
    expect(modeMechanism('DP-SGD-BASE', { steps, participation: cyclic }).sensitivity).toBeCloseTo(
      Math.sqrt(3),
      12,
    );
    expect(modeMechanism('DP-SGD-AMPLIFIED', { steps, participation: cyclic }).sensitivity).toBe(1);
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
    expect(streaming.fittedFor).toBe('single');
    expect(streaming.noiseSensitivity).toBe(streaming.sensitivity);
    // A BLT fitted for the real participation has the smaller loss there.
    expect(multiEpoch.fit?.loss).toBeLessThanOrEqual(
      (streaming.fit?.loss ?? 0) * (streaming.sensitivity / (streaming.fit?.sensitivity ?? 1)) + 1e-9,
    );
  });

  it('amplified banded MF: the fitted unit-norm band, noise sensitivity 1, DP-SGD for one band', () => {
    const mechanism = modeMechanism('Amplified-BandMF', { steps, participation: 'single', bands: 4 });
    expect(strategyKindOf(mechanism.strategy)).toBe('banded');
    expect(mechanism.bandFit?.bands).toBe(4);
    expect(Math.hypot(...mechanism.strategy.coefficients(steps))).toBeCloseTo(1, 14);
    expect(mechanism.sensitivity).toBe(1);
    expect(mechanism.noiseSensitivity).toBe(1);
    // RMSE below DP-SGD's √((n + 1)/2).
    expect(mechanism.bandFit?.loss).toBeLessThan(Math.sqrt((steps + 1) / 2));
    const one = modeMechanism('Amplified-BandMF-Adam', { steps, participation: 'single', bands: 1 });
    expect(Array.from(one.strategy.inverseCoefficients(3), (v) => v + 0)).toEqual([1, 0, 0]);
    expect(one.bandFit?.loss).toBeCloseTo(Math.sqrt((steps + 1) / 2), 12);
    expect(() => modeMechanism('Amplified-BandMF', { steps, participation: 'single' })).toThrow(
      /needs bands/,
    );
    expect(() => modeMechanism('Amplified-BandMF', { steps, participation: 'single', bands: 31 })).toThrow(
      /bands must be an integer in \[1, 30\], got 31/,
    );
  });
});
