import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/gaussian-reference.json';
import { calibrateGaussian } from './calibrate';
import { gaussianDelta, gaussianEpsilon, gdpDelta, gdpEpsilon } from './gaussian';

describe('exact Gaussian (mu-GDP) accounting', () => {
  it('matches the 50-digit delta(epsilon) references (relative 1e-9)', () => {
    for (const { mu, epsilon, delta } of reference.deltas) {
      const got = gdpDelta(mu, epsilon);
      expect(Math.abs(got - delta) / delta, `mu=${mu} eps=${epsilon}`).toBeLessThan(1e-9);
    }
  });

  it('matches the epsilon(delta) references, never below them', () => {
    for (const { mu, delta, epsilon } of reference.epsilons) {
      const got = gdpEpsilon(mu, delta);
      expect(got, `mu=${mu} delta=${delta}`).toBeGreaterThanOrEqual(epsilon);
      expect(got - epsilon, `mu=${mu} delta=${delta}`).toBeLessThanOrEqual(1e-8 * Math.max(1, epsilon));
    }
  });

  it('delta(epsilon(delta)) = delta', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: -12, max: -1, noNaN: true }),
        (noiseMultiplier, compositions, log10Delta) => {
          const delta = 10 ** log10Delta;
          const epsilon = gaussianEpsilon({ noiseMultiplier, compositions, delta });
          expect(Number.isFinite(epsilon)).toBe(true);
          const back = gaussianDelta({ noiseMultiplier, compositions, epsilon });
          if (epsilon > 0) expect(Math.abs(back - delta) / delta).toBeLessThan(1e-8);
          expect(back).toBeLessThanOrEqual(delta);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('calibrateGaussian meets the target and is tight', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 50, noNaN: true }),
        fc.double({ min: -12, max: -2, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        (targetEpsilon, log10Delta, compositions) => {
          const targetDelta = 10 ** log10Delta;
          const sigma = calibrateGaussian({ targetEpsilon, targetDelta, compositions });
          const epsilon = gaussianEpsilon({ noiseMultiplier: sigma, compositions, delta: targetDelta });
          expect(epsilon).toBeLessThanOrEqual(targetEpsilon);
          expect(epsilon).toBeGreaterThan(targetEpsilon * (1 - 1e-8));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('names the parameter and range of invalid input', () => {
    expect(() => gaussianEpsilon({ noiseMultiplier: -1, compositions: 1, delta: 1e-5 })).toThrow(
      /noiseMultiplier must be a finite number in \(0, /,
    );
    expect(() => gaussianEpsilon({ noiseMultiplier: 1, compositions: 0, delta: 1e-5 })).toThrow(
      /compositions must be an integer in \[1, /,
    );
    expect(() => gaussianEpsilon({ noiseMultiplier: 1, compositions: 1, delta: 1 })).toThrow(
      /delta must be a finite number in \(0, 1\)/,
    );
    expect(() => gaussianDelta({ noiseMultiplier: 1, compositions: 1, epsilon: -1 })).toThrow(/epsilon/);
    expect(() => calibrateGaussian({ targetEpsilon: 0, targetDelta: 1e-5, compositions: 1 })).toThrow(
      /targetEpsilon must be a finite number in \(0, /,
    );
  });
});
