import { describe, expect, it } from 'vitest';
import { calibrateNoiseMultiplier, computeEpsilon } from './compute';
import { gaussianEpsilon } from './gaussian';

describe('computeEpsilon', () => {
  it('reproduces the public DP-SGD anchors (MNIST: q = 1024/60000, sigma = 1, 2930 steps)', () => {
    const base = { noiseMultiplier: 1, sampleRate: 1024 / 60000, steps: 2930, delta: 1e-5 };
    const pld = computeEpsilon({ ...base, accountant: 'pld' });
    // dp_accounting's PLD accountant reports 5.7717; ours is pessimistic too, at interval 1e-4.
    expect(pld).toBeGreaterThan(5.7716);
    expect(pld).toBeLessThan(5.7718);
    expect(computeEpsilon({ ...base, accountant: 'rdp' })).toBeCloseTo(6.3029, 3);
  });

  it('treats sampleRate = 1 as no sampling (exact Gaussian)', () => {
    const exact = gaussianEpsilon({ noiseMultiplier: 3, compositions: 50, delta: 1e-6 });
    const pld = computeEpsilon({
      noiseMultiplier: 3,
      sampleRate: 1,
      steps: 50,
      delta: 1e-6,
      accountant: 'pld',
    });
    expect(pld).toBe(exact);
    expect(
      computeEpsilon({ noiseMultiplier: 3, sampleRate: 1, steps: 50, delta: 1e-6, accountant: 'rdp' }),
    ).toBeGreaterThan(exact);
  });

  it('names the parameter and the allowed range of invalid input', () => {
    const ok = { noiseMultiplier: 1, sampleRate: 0.01, steps: 10, delta: 1e-5 };
    expect(() => computeEpsilon({ ...ok, noiseMultiplier: 0 })).toThrow(
      /noiseMultiplier must be a finite number in \(0, /,
    );
    expect(() => computeEpsilon({ ...ok, sampleRate: 0 })).toThrow(
      /sampleRate must be a finite number in \(0, 1\]/,
    );
    expect(() => computeEpsilon({ ...ok, sampleRate: 1.01 })).toThrow(/sampleRate/);
    expect(() => computeEpsilon({ ...ok, steps: 2.5 })).toThrow(
      /steps must be an integer in \[1, 1000000000\]/,
    );
    expect(() => computeEpsilon({ ...ok, delta: 0 })).toThrow(/delta must be a finite number in \(0, 1\)/);
    expect(() => computeEpsilon({ ...ok, accountant: 'moments' as never })).toThrow(
      /accountant must be 'pld' or 'rdp'/,
    );
    expect(() =>
      calibrateNoiseMultiplier({ targetEpsilon: -1, targetDelta: 1e-5, sampleRate: 0.01, steps: 10 }),
    ).toThrow(/targetEpsilon must be a finite number in \(0, /);
    expect(() =>
      calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: 2, sampleRate: 0.01, steps: 10 }),
    ).toThrow(/targetDelta must be a finite number in \(0, 1\)/);
  });
});

describe('calibrateNoiseMultiplier', () => {
  it('meets the target on the safe side, tightly, for both accountants', () => {
    const target = { targetEpsilon: 3, targetDelta: 1e-5, sampleRate: 0.02, steps: 500 };
    for (const accountant of ['rdp', 'pld'] as const) {
      const sigma = calibrateNoiseMultiplier({ ...target, accountant });
      const at = (s: number) =>
        computeEpsilon({ noiseMultiplier: s, sampleRate: 0.02, steps: 500, delta: 1e-5, accountant });
      expect(at(sigma)).toBeLessThanOrEqual(3);
      expect(at(sigma * (1 - 1e-3))).toBeGreaterThan(3);
    }
  });
});
