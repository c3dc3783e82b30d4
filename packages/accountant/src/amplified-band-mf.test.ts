import { describe, expect, it } from 'vitest';
import {
  amplifiedBandMfCompositions,
  amplifiedBandMfEpsilon,
  amplifiedBandMfEvent,
  calibrateAmplifiedBandMf,
} from './amplified-band-mf';
import { calibrateNoiseMultiplier, computeEpsilon } from './compute';
import { eventFromJSON, GaussianEvent, PoissonSampledEvent } from './events';
import { PldAccountant } from './pld-accountant';
import { RdpAccountant } from './rdp-accountant';

describe('amplified banded MF accounting', () => {
  it('is SelfComposed(PoissonSampled(p, Gaussian(σ)), ceil(steps / bands)) and round-trips through JSON', () => {
    const event = amplifiedBandMfEvent({ noiseMultiplier: 1.3, sampleRate: 0.2, steps: 100, bands: 7 });
    expect(event.toJSON()).toEqual({
      kind: 'self-composed',
      count: 15,
      event: { kind: 'poisson-sampled', sampleRate: 0.2, event: { kind: 'gaussian', noiseMultiplier: 1.3 } },
    });
    expect(eventFromJSON(event.toJSON()).toJSON()).toEqual(event.toJSON());
    expect(amplifiedBandMfCompositions(100, 10)).toBe(10);
    expect(amplifiedBandMfCompositions(101, 10)).toBe(11);
  });

  it('has the ε of the DP-SGD event with ceil(steps / bands) steps, PLD and RDP', () => {
    const run = { noiseMultiplier: 0.9, sampleRate: 0.16, steps: 2930, bands: 12 };
    const dpSgd = new PoissonSampledEvent(0.16, new GaussianEvent(0.9));
    for (const accountant of ['pld', 'rdp'] as const) {
      expect(amplifiedBandMfEpsilon({ ...run, delta: 1e-5, accountant })).toBe(
        computeEpsilon({ noiseMultiplier: 0.9, sampleRate: 0.16, steps: 245, delta: 1e-5, accountant }),
      );
    }
    const pld = new PldAccountant().compose(amplifiedBandMfEvent(run));
    const direct = new PldAccountant().compose(dpSgd, 245);
    expect(pld.getEpsilon(1e-5)).toBe(direct.getEpsilon(1e-5));
    const rdp = new RdpAccountant().compose(amplifiedBandMfEvent(run));
    expect(rdp.getEpsilon(1e-5)).toBe(new RdpAccountant().compose(dpSgd, 245).getEpsilon(1e-5));
    // PLD is the default and the tighter one.
    expect(amplifiedBandMfEpsilon({ ...run, delta: 1e-5 })).toBeLessThan(
      amplifiedBandMfEpsilon({ ...run, delta: 1e-5, accountant: 'rdp' }),
    );
  });

  it('is DP-SGD exactly for one band (ε and calibrated σ)', () => {
    const sampleRate = 1024 / 60_000;
    expect(
      amplifiedBandMfEpsilon({ noiseMultiplier: 1, sampleRate, steps: 2930, bands: 1, delta: 1e-5 }),
    ).toBe(computeEpsilon({ noiseMultiplier: 1, sampleRate, steps: 2930, delta: 1e-5 }));
    const options = { targetEpsilon: 8, targetDelta: 1e-5, sampleRate, steps: 2930 };
    expect(calibrateAmplifiedBandMf({ ...options, bands: 1, accountant: 'rdp' })).toBe(
      calibrateNoiseMultiplier({ ...options, accountant: 'rdp' }),
    );
  });

  it('calibrates conservatively (ε at σ never above the target, and tight)', () => {
    for (const [bands, accountant] of [
      [4, 'pld'],
      [12, 'rdp'],
      [30, 'pld'],
    ] as const) {
      const sampleRate = Math.min(1, (64 * bands) / 6000);
      const run = { sampleRate, steps: 940, bands };
      const sigma = calibrateAmplifiedBandMf({ ...run, targetEpsilon: 2, targetDelta: 1e-5, accountant });
      expect(
        amplifiedBandMfEpsilon({ ...run, noiseMultiplier: sigma, delta: 1e-5, accountant }),
      ).toBeLessThanOrEqual(2);
      expect(
        amplifiedBandMfEpsilon({ ...run, noiseMultiplier: sigma * (1 - 1e-3), delta: 1e-5, accountant }),
      ).toBeGreaterThan(2);
    }
  });

  it('rejects bad bands naming the option and its range', () => {
    const run = { noiseMultiplier: 1, sampleRate: 0.1, steps: 10 };
    expect(() => amplifiedBandMfEvent({ ...run, bands: 0 })).toThrow(
      /bands must be an integer in \[1, 10\], got 0/,
    );
    expect(() => amplifiedBandMfEvent({ ...run, bands: 11 })).toThrow(
      /bands must be an integer in \[1, 10\], got 11/,
    );
    expect(() => amplifiedBandMfEvent({ ...run, bands: 1.5 })).toThrow(
      /bands must be an integer in \[1, 10\]/,
    );
    expect(() => amplifiedBandMfEvent({ ...run, bands: 2, sampleRate: 1.5 })).toThrow(/sampleRate/);
    expect(() =>
      calibrateAmplifiedBandMf({
        targetEpsilon: 1,
        targetDelta: 1e-5,
        sampleRate: 0.1,
        steps: 10,
        bands: 20,
      }),
    ).toThrow(/bands must be an integer in \[1, 10\], got 20/);
  });
});
