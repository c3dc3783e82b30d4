/** Property suites (fast-check) and brute force over all participation patterns. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { strategyLoss } from '../src/error';
import { fitBlt } from '../src/fit-blt';
import { isNonNegativeNonIncreasing, nonIncreasingMajorant, sensitivity } from '../src/sensitivity';
import { singleParameterStrategy } from '../src/strategies';
import { allPatterns, bruteForce, monotoneCoefficients } from './brute-force';

describe('sensitivity properties', () => {
  it('agrees with brute force over ALL (b, k) patterns for non-negative non-increasing c', () => {
    fc.assert(
      fc.property(
        monotoneCoefficients,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (c, b, k) => {
          const exact = bruteForce(c, allPatterns(c.length, b, k), false);
          expect(sensitivity(c, { minSeparation: b, maxParticipations: k })).toBeCloseTo(exact, 12);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('bounds coefficients of any sign from above (majorant), never below the signed brute force', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (xs, b, k) => {
          const c = Float64Array.from([1, ...xs]);
          const lower = bruteForce(c, allPatterns(c.length, b, k), true);
          expect(sensitivity(c, { minSeparation: b, maxParticipations: k })).toBeGreaterThanOrEqual(
            lower * (1 - 1e-12),
          );
        },
      ),
      { numRuns: 80 },
    );
    expect(Array.from(nonIncreasingMajorant([1, -0.2, 0.5, 0.1]))).toEqual([1, 0.5, 0.5, 0.1]);
    expect(isNonNegativeNonIncreasing([1, 0.5, 0.5, 0])).toBe(true);
    expect(isNonNegativeNonIncreasing([1, 0.5, 0.6])).toBe(false);
    expect(isNonNegativeNonIncreasing([1, -0.1])).toBe(false);
  });

  it('is non-decreasing in k and non-increasing in b (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          monotoneCoefficients,
          fc
            .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 })
            .map((xs) => Float64Array.from([1, ...xs])),
        ),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (c, b, k) => {
          const s = sensitivity(c, { minSeparation: b, maxParticipations: k });
          expect(sensitivity(c, { minSeparation: b, maxParticipations: k + 1 })).toBeGreaterThanOrEqual(
            s * (1 - 1e-14),
          );
          expect(sensitivity(c, { minSeparation: b + 1, maxParticipations: k })).toBeLessThanOrEqual(
            s * (1 + 1e-14),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('fitBlt properties', () => {
  it('never ends above its start or above the single-parameter strategy (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('max' as const, 'rmse' as const),
        fc.integer({ min: 1, max: 3 }),
        (steps, minSeparation, maxParticipations, error, bufferCount) => {
          const fit = fitBlt({ steps, minSeparation, maxParticipations, error, bufferCount, restarts: 0 });
          expect(fit.loss).toBeLessThanOrEqual(fit.startLoss * (1 + 1e-12));
          const participation = { minSeparation, maxParticipations };
          for (const gamma of [0, 0.3, 0.6, 0.9, 0.99]) {
            const single = strategyLoss(singleParameterStrategy(gamma), { steps, participation });
            const value = error === 'max' ? single.maxErrorLoss : single.rmseLoss;
            expect(fit.loss).toBeLessThanOrEqual(value * (1 + 1e-12));
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
