/**
 * Public reference points (shared notes, sections 5 and 8; offline values in fixtures/reference.json, written by
 * fixtures/generate_reference.py with exact rationals, mpmath and scipy).
 */
import { describe, expect, it } from 'vitest';
import { Blt } from '../src/blt';
import { bltLoss } from '../src/blt-loss';
import { strategyLoss } from '../src/error';
import { fitBlt } from '../src/fit-blt';
import { bltStrategy, identityStrategy, squareRootStrategy } from '../src/strategies';
import reference from './fixtures/reference.json' with { type: 'json' };

describe('anchors: strategies', () => {
  it('give √n and √((n+1)/2) for DP-SGD (C = I)', () => {
    for (const n of [1, 7, 1024]) {
      const loss = strategyLoss(identityStrategy(), { steps: n, participation: 'single' });
      expect(loss.maxErrorLoss).toBeCloseTo(Math.sqrt(n), 12);
      expect(loss.rmseLoss).toBeCloseTo(Math.sqrt((n + 1) / 2), 12);
    }
    // k participations of DP-SGD: sensitivity √k.
    const multi = strategyLoss(identityStrategy(), {
      steps: 100,
      participation: { minSeparation: 10, maxParticipations: 4 },
    });
    expect(multi.maxErrorLoss).toBeCloseTo(Math.sqrt(4 * 100), 11);
  });

  it('give the square-root max-error root 3.2726 at n = 1024', () => {
    const loss = strategyLoss(squareRootStrategy(), { steps: 1024, participation: 'single' });
    expect(loss.maxErrorLoss).toBeCloseTo(reference.squareRootMaxErrorRoot1024, 12);
    expect(loss.maxErrorLoss.toFixed(4)).toBe('3.2726');
    // For the square root, B = C: sens² = max error = Σ c_j².
    expect(loss.sensitivity ** 2).toBeCloseTo(loss.maxError, 12);
  });
});

describe('anchors: BLT closed forms', () => {
  it('match the compensated O(n) float64 summation of the section 8 point to 1e-13', () => {
    const point = reference.section8;
    const closed = bltLoss(new Blt(point.decays, point.outputScales), {
      steps: point.steps,
      participation: 'single',
    });
    expect(Math.abs(closed.sensitivity / point.sensitivity - 1)).toBeLessThan(1e-13);
    expect(Math.abs(closed.maxError / point.maxError - 1)).toBeLessThan(1e-13);
    expect(Math.abs(closed.meanError / point.meanError - 1)).toBeLessThan(1e-13);
    expect(closed.maxErrorLoss).toBeCloseTo(5.29675, 5);
  });
});

describe('anchors: fitted BLTs', () => {
  it('finds the n = 100,000 two-buffer optimum of the shared notes', () => {
    const fit = fitBlt({ steps: 100_000, bufferCount: 2 });
    expect(fit.converged).toBe(true);
    expect(fit.bufferCount).toBe(2);
    const order = Array.from(fit.blt.decays.keys()).sort((i, j) => fit.blt.decays[j]! - fit.blt.decays[i]!);
    const decays = order.map((i) => fit.blt.decays[i]!);
    const scales = order.map((i) => fit.blt.outputScales[i]!);
    expect(decays[0]).toBeCloseTo(0.9999528892, 9);
    expect(decays[1]).toBeCloseTo(0.9857068667, 8);
    expect(scales[0]).toBeCloseTo(0.0122853238, 8);
    expect(scales[1]).toBeCloseTo(0.1878393665, 7);
    expect(fit.loss).toBeCloseTo(5.29675, 5);
    // The reported figures are those of the returned BLT.
    const check = bltLoss(fit.blt, { steps: 100_000, participation: 'single' });
    expect(check.maxErrorLoss).toBeCloseTo(fit.loss, 9);
    expect(check.sensitivity).toBeCloseTo(fit.sensitivity, 9);
  });

  it('comes within 0.2% of the square root with 3 buffers at n = 1024, never below the best Toeplitz', () => {
    const sqrt = reference.squareRootMaxErrorRoot1024;
    const best = reference.bestToeplitz1024.max;
    for (const bufferCount of [3, 4]) {
      const fit = fitBlt({ steps: 1024, bufferCount });
      expect(fit.converged).toBe(true);
      expect(fit.loss).toBeLessThan(sqrt * 1.002);
      expect(fit.loss).toBeGreaterThanOrEqual(best * (1 - 1e-12));
      const direct = strategyLoss(bltStrategy(fit.blt), { steps: 1024, participation: 'single' });
      expect(direct.maxErrorLoss).toBeCloseTo(fit.loss, 10);
    }
    const rmse = fitBlt({ steps: 1024, bufferCount: 4, error: 'rmse' });
    expect(rmse.loss).toBeGreaterThanOrEqual(reference.bestToeplitz1024.rmse * (1 - 1e-12));
    expect(rmse.loss).toBeLessThan(reference.bestToeplitz1024.rmse * 1.002);
  });
});
