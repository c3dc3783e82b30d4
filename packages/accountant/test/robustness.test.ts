/**
 * Robustness over the whole box q in [1e-6, 1], sigma in [0.1, 100], steps in [1, 1e6],
 * delta in [1e-12, 0.1]: finite, non-negative epsilons from both accountants, without crash or hang
 * (each call is bounded by the grid limits; the suite's timeout bounds the whole sample).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeEpsilon, gaussianEpsilon } from '../src/index';

const logUniform = (min: number, max: number) =>
  fc
    .double({ min: Math.log(min), max: Math.log(max), noNaN: true })
    .map((x) => Math.min(max, Math.max(min, Math.exp(x))));
const box = fc.record({
  sampleRate: logUniform(1e-6, 1),
  noiseMultiplier: logUniform(0.1, 100),
  steps: logUniform(1, 1e6).map(Math.round),
  delta: logUniform(1e-12, 0.1),
});

describe('robustness over the whole parameter box', () => {
  it('RDP: finite epsilon >= 0 everywhere', () => {
    fc.assert(
      fc.property(box, (p) => {
        const epsilon = computeEpsilon({ ...p, accountant: 'rdp' });
        expect(Number.isFinite(epsilon)).toBe(true);
        expect(epsilon).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it('PLD: finite epsilon >= 0, at most the RDP value, in bounded time', () => {
    const corners = [
      { sampleRate: 1e-6, noiseMultiplier: 0.1, steps: 1_000_000, delta: 1e-12 },
      { sampleRate: 0.5, noiseMultiplier: 0.1, steps: 1_000_000, delta: 0.1 },
      { sampleRate: 0.5, noiseMultiplier: 100, steps: 1_000_000, delta: 1e-12 },
    ];
    const check = (p: { sampleRate: number; noiseMultiplier: number; steps: number; delta: number }) => {
      const started = performance.now();
      const epsilon = computeEpsilon({ ...p, accountant: 'pld' });
      const elapsed = performance.now() - started;
      expect(Number.isFinite(epsilon), JSON.stringify(p)).toBe(true);
      expect(epsilon).toBeGreaterThanOrEqual(0);
      expect(epsilon).toBeLessThanOrEqual(computeEpsilon({ ...p, accountant: 'rdp' }));
      // Generous bound (2-core machine shared with other work): the point is that nothing hangs.
      expect(elapsed).toBeLessThan(15_000);
    };
    corners.forEach(check);
    fc.assert(fc.property(box, check), { numRuns: 8 });
  });

  it('large epsilons and tiny deltas work (epsilon > 10, delta = 1e-12)', () => {
    const p = { noiseMultiplier: 0.6, sampleRate: 0.2, steps: 500, delta: 1e-12 };
    const pld = computeEpsilon({ ...p, accountant: 'pld' });
    const rdp = computeEpsilon({ ...p, accountant: 'rdp' });
    expect(pld).toBeGreaterThan(10);
    expect(pld).toBeLessThan(rdp);
    expect(
      Number.isFinite(gaussianEpsilon({ noiseMultiplier: 0.1, compositions: 1_000_000, delta: 1e-12 })),
    ).toBe(true);
  });
});
