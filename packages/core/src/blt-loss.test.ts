import { describe, expect, it } from 'vitest';
import { Blt } from './blt';
import { bltLoss } from './blt-loss';
import { strategyLoss } from './error';
import type { Participation } from './participation';
import { bltStrategy } from './strategies';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('BLT closed forms', () => {
  const cases: [string, Blt, number, Participation][] = [
    ['two buffers, single', new Blt([0.99, 0.7], [0.1, 0.2]), 50, 'single'],
    [
      'two buffers, min-sep',
      new Blt([0.99, 0.7], [0.1, 0.2]),
      50,
      { minSeparation: 7, maxParticipations: 4 },
    ],
    [
      'three buffers, k_eff = ⌈n/b⌉',
      new Blt([0.999, 0.9, 0.5], [0.02, 0.1, 0.2]),
      300,
      { minSeparation: 13, maxParticipations: 40 },
    ],
    ['b = 1', new Blt([0.95, 0.5], [0.05, 0.3]), 40, { minSeparation: 1, maxParticipations: 9 }],
    ['cyclic', new Blt([0.95, 0.5], [0.05, 0.3]), 120, { kind: 'cyclic', minSeparation: 17 }],
    [
      'section 8 optimum',
      new Blt([0.9999528892, 0.9857068667], [0.0122853238, 0.1878393665]),
      100_000,
      'single',
    ],
    [
      'decays 1e-9 from 1',
      new Blt([1 - 1e-9, 0.999, 0.9], [0.001, 0.02, 0.2]),
      20_000,
      { minSeparation: 1000, maxParticipations: 20 },
    ],
  ];

  it.each(cases)('agree with the O(n) computation: %s', (_name, blt, steps, participation) => {
    const closed = bltLoss(blt, { steps, participation });
    const direct = strategyLoss(bltStrategy(blt), { steps, participation });
    expect(relative(closed.sensitivity, direct.sensitivity)).toBeLessThan(1e-11);
    expect(relative(closed.maxError, direct.maxError)).toBeLessThan(1e-10);
    expect(relative(closed.meanError, direct.meanError)).toBeLessThan(1e-10);
  });

  it('reproduce the n = 100,000 two-buffer optimum MaxErr ≈ 5.29675', () => {
    const blt = new Blt([0.9999528892, 0.9857068667], [0.0122853238, 0.1878393665]);
    expect(bltLoss(blt, { steps: 100_000, participation: 'single' }).maxErrorLoss).toBeCloseTo(5.29675, 5);
  });

  it('fall back to the direct error when the inverse does not decay (|θ̂| ≥ 1)', () => {
    // ω < 0 with Σ|ω|/u large pushes an inverse decay above 1.
    const blt = new Blt([0.9, 0.5], [-0.3, -0.1]);
    const closed = bltLoss(blt, { steps: 40, participation: 'single' });
    const direct = strategyLoss(bltStrategy(blt), { steps: 40, participation: 'single' });
    expect(closed.maxError).toBeCloseTo(direct.maxError, 8);
    expect(closed.meanError).toBeCloseTo(direct.meanError, 8);
  });

  it('fall back to the direct sensitivity when c may be negative or increasing', () => {
    const blt = new Blt([0.9, 0.5], [0.6, 0.7]); // Σω > 1: c_1 > c_0
    const participation = { minSeparation: 3, maxParticipations: 4 };
    const closed = bltLoss(blt, { steps: 30, participation });
    const direct = strategyLoss(bltStrategy(blt), { steps: 30, participation });
    expect(closed.sensitivity).toBeCloseTo(direct.sensitivity, 12);
  });
});
