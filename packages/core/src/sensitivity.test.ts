import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Blt } from './blt';
import { resolveParticipation } from './participation';
import { isNonNegativeNonIncreasing, nonIncreasingMajorant, sensitivity } from './sensitivity';
import { squareRootCoefficients } from './strategies';

/** Every participation set of {0..n-1} with at most k elements, any two at least b apart. */
function allPatterns(n: number, b: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (next: number, chosen: number[]) => {
    if (chosen.length > 0) out.push([...chosen]);
    if (chosen.length === k) return;
    for (let s = next; s < n; s++) {
      chosen.push(s);
      walk(s + b, chosen);
      chosen.pop();
    }
  };
  walk(0, []);
  return out;
}

/** max over patterns and signs of ‖Σ_s ±C e_s‖ (for c ≥ 0 the all-plus signs give the exact sensitivity). */
function bruteForce(c: ArrayLike<number>, patterns: number[][], signs: boolean): number {
  const n = c.length;
  let best = 0;
  for (const pattern of patterns) {
    const signCount = signs ? 2 ** (pattern.length - 1) : 1;
    for (let mask = 0; mask < signCount; mask++) {
      let total = 0;
      for (let t = 0; t < n; t++) {
        let v = 0;
        pattern.forEach((s, i) => {
          if (t >= s) v += (i > 0 && (mask >> (i - 1)) & 1 ? -1 : 1) * (c[t - s] as number);
        });
        total += v * v;
      }
      best = Math.max(best, total);
    }
  }
  return Math.sqrt(best);
}

const monotoneCoefficients = fc
  .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 11 })
  .map((xs) => {
    const sorted = [1, ...xs].sort((a, b) => b - a);
    return Float64Array.from(sorted);
  });

describe('sensitivity', () => {
  it('is ‖c‖ for single participation and √k for DP-SGD', () => {
    expect(sensitivity([1, 0.5, 0.25], 'single')).toBeCloseTo(Math.sqrt(1.3125), 15);
    const identity = new Float64Array(100);
    identity[0] = 1;
    expect(sensitivity(identity, { minSeparation: 10, maxParticipations: 7 })).toBeCloseTo(Math.sqrt(7), 14);
    expect(sensitivity(identity, { minSeparation: 10, maxParticipations: 70 })).toBeCloseTo(
      Math.sqrt(10),
      14,
    );
  });

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

  it('agrees with brute force for BLT coefficients and for cyclic participation', () => {
    const c = new Blt([0.9, 0.5], [0.2, 0.3]).coefficients(12);
    for (const [b, k] of [
      [1, 12],
      [2, 3],
      [3, 4],
      [5, 2],
    ] as const) {
      expect(sensitivity(c, { minSeparation: b, maxParticipations: k })).toBeCloseTo(
        bruteForce(c, allPatterns(12, b, k), false),
        13,
      );
    }
    for (const b of [1, 3, 5, 12]) {
      const offsets = Array.from({ length: b }, (_, s) =>
        Array.from({ length: Math.ceil((12 - s) / b) }, (_, i) => s + i * b),
      );
      expect(sensitivity(c, { kind: 'cyclic', minSeparation: b })).toBeCloseTo(
        bruteForce(c, offsets, false),
        13,
      );
      // A non-monotone but non-negative c: the worst cyclic offset need not be 0.
      const bumpy = Float64Array.from([1, 0.1, 0.9, 0.05, 0.8, 0, 0.7, 0.2, 0.3, 0.6, 0.1, 0.5]);
      expect(sensitivity(bumpy, { kind: 'cyclic', minSeparation: b })).toBeCloseTo(
        bruteForce(bumpy, offsets, false),
        13,
      );
    }
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

  it('uses k_eff = min(k, ⌈n/b⌉)', () => {
    expect(
      resolveParticipation({ minSeparation: 59, maxParticipations: 50 }, 2930).effectiveParticipations,
    ).toBe(50);
    expect(
      resolveParticipation({ minSeparation: 100, maxParticipations: 50 }, 2930).effectiveParticipations,
    ).toBe(30);
    const c = squareRootCoefficients(300);
    expect(sensitivity(c, { minSeparation: 100, maxParticipations: 50 })).toBe(
      sensitivity(c, { minSeparation: 100, maxParticipations: 3 }),
    );
    expect(sensitivity(c, { kind: 'cyclic', minSeparation: 100 })).toBe(
      sensitivity(c, { minSeparation: 100, maxParticipations: 3 }),
    );
  });

  it('rejects bad input naming the parameter and range', () => {
    expect(() => sensitivity([1, 0.5], { minSeparation: 0, maxParticipations: 1 })).toThrow(
      /minSeparation must be an integer in \[1, /,
    );
    expect(() => sensitivity([1, 0.5], { minSeparation: 1, maxParticipations: 0 })).toThrow(
      /maxParticipations must be an integer in \[1, /,
    );
    expect(() => sensitivity([1, Number.NaN], 'single')).toThrow(/coefficients\[1\] must be a finite number/);
    expect(() => sensitivity([], 'single')).toThrow(/coefficients must have at least 1 entries/);
  });
});
