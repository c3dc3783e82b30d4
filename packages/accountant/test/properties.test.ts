/**
 * Property tests (fast-check) of the DP-SGD entry points and accountants: monotonicity, inverses,
 * calibration on the safe side, and PLD <= RDP.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calibrateNoiseMultiplier,
  computeEpsilon,
  GaussianEvent,
  PldAccountant,
  PoissonSampledEvent,
  RdpAccountant,
} from '../src/index';

const logUniform = (min: number, max: number) =>
  fc.double({ min: Math.log(min), max: Math.log(max), noNaN: true }).map(Math.exp);
// A moderate domain where the PLD accountant stays fast (it is exercised on the whole box elsewhere).
const sampleRate = logUniform(1e-3, 0.5);
const noiseMultiplier = logUniform(0.5, 10);
const steps = fc.integer({ min: 1, max: 100 });
const delta = logUniform(1e-10, 1e-2);
const accountant = fc.constantFrom('rdp' as const, 'pld' as const);

describe('epsilon is monotone', () => {
  it('decreases in the noise multiplier, increases in steps and in the sampling rate', () => {
    fc.assert(
      fc.property(sampleRate, noiseMultiplier, steps, delta, accountant, (q, sigma, k, d, method) => {
        const eps = (s: number, n: number, rate: number) =>
          computeEpsilon({ noiseMultiplier: s, sampleRate: rate, steps: n, delta: d, accountant: method });
        const base = eps(sigma, k, q);
        const slack = 1e-6 * Math.max(1, base);
        expect(eps(sigma * 1.25, k, q)).toBeLessThanOrEqual(base + slack);
        expect(eps(sigma, 2 * k, q)).toBeGreaterThanOrEqual(base - slack);
        expect(eps(sigma, k, Math.min(1, 1.5 * q))).toBeGreaterThanOrEqual(base - slack);
      }),
      { numRuns: 6 },
    );
  });
});

describe('accountant inverses and ordering', () => {
  it('getDelta(getEpsilon(delta)) = delta, and PLD <= RDP', () => {
    fc.assert(
      fc.property(sampleRate, noiseMultiplier, steps, delta, (q, sigma, k, d) => {
        const event = new PoissonSampledEvent(q, new GaussianEvent(sigma));
        const pld = new PldAccountant().compose(event, k);
        const rdp = new RdpAccountant().compose(event, k);
        const pldEps = pld.getEpsilon(d);
        const rdpEps = rdp.getEpsilon(d);
        expect(pldEps).toBeLessThanOrEqual(rdpEps);
        for (const [acc, eps] of [
          [pld, pldEps],
          [rdp, rdpEps],
        ] as const) {
          const back = acc.getDelta(eps);
          expect(back).toBeLessThanOrEqual(d * (1 + 1e-9));
          // At epsilon = 0 the curve may already be below delta.
          if (eps > 0) expect(back).toBeGreaterThan(d * (1 - 1e-6));
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe('calibration', () => {
  it('calibrate then compute gives at most the target (RDP)', () => {
    fc.assert(
      fc.property(
        logUniform(0.1, 30),
        delta,
        sampleRate,
        fc.integer({ min: 1, max: 100_000 }),
        (e, d, q, k) => {
          const sigma = calibrateNoiseMultiplier({
            targetEpsilon: e,
            targetDelta: d,
            sampleRate: q,
            steps: k,
            accountant: 'rdp',
          });
          expect(
            computeEpsilon({ noiseMultiplier: sigma, sampleRate: q, steps: k, delta: d, accountant: 'rdp' }),
          ).toBeLessThanOrEqual(e);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('calibrate then compute gives at most the target (PLD)', () => {
    fc.assert(
      fc.property(
        logUniform(0.5, 20),
        delta,
        logUniform(1e-2, 0.3),
        fc.integer({ min: 1, max: 200 }),
        (e, d, q, k) => {
          const sigma = calibrateNoiseMultiplier({
            targetEpsilon: e,
            targetDelta: d,
            sampleRate: q,
            steps: k,
            accountant: 'pld',
          });
          expect(
            computeEpsilon({ noiseMultiplier: sigma, sampleRate: q, steps: k, delta: d, accountant: 'pld' }),
          ).toBeLessThanOrEqual(e);
        },
      ),
      { numRuns: 4 },
    );
  });
});
