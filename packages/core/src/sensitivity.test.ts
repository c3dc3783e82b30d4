import { describe, expect, it } from 'vitest';
import { allPatterns, bruteForce } from '../test/brute-force';
import { Blt } from './blt';
import { resolveParticipation } from './participation';
import { sensitivity } from './sensitivity';
import { squareRootCoefficients } from './strategies';

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
