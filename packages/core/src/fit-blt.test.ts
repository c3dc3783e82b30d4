import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/reference.json' with { type: 'json' };
import { Blt } from './blt';
import { bltLoss } from './blt-loss';
import { strategyLoss } from './error';
import { fitBlt, fitObjective, type Problem, squareRootBltApproximation } from './fit-blt';
import { bltStrategy, singleParameterStrategy } from './strategies';

describe('fitObjective', () => {
  it('has the gradient of a central finite difference', () => {
    const problems: Problem[] = [
      { steps: 1000, minSeparation: 1000, participations: 1, kind: 'max' },
      { steps: 1000, minSeparation: 37, participations: 12, kind: 'max' },
      { steps: 1000, minSeparation: 37, participations: 12, kind: 'mean' },
      { steps: 100_000, minSeparation: 100_000, participations: 1, kind: 'mean' },
    ];
    // Interlaced complements u_1 < û_1 < u_2 < û_2 < u_3 < û_3.
    const x = Float64Array.from([1e-3, 0.02, 0.3, 3e-3, 0.05, 0.5].map(Math.log));
    for (const problem of problems) {
      const gradient = new Float64Array(6);
      fitObjective(problem, x, gradient);
      x.forEach((_, i) => {
        const h = 1e-6;
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[i] = (up[i] as number) + h;
        down[i] = (down[i] as number) - h;
        const fd =
          (fitObjective(problem, up, undefined)!.value - fitObjective(problem, down, undefined)!.value) /
          (2 * h);
        expect(Math.abs((gradient[i] as number) - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
      });
    }
  });

  it('is infinite outside the constraints (non-interlaced decays give ω ≤ 0)', () => {
    const problem: Problem = { steps: 100, minSeparation: 100, participations: 1, kind: 'max' };
    expect(fitObjective(problem, Float64Array.from([0.02, 0.01].map(Math.log)), undefined)).toBeUndefined();
    expect(fitObjective(problem, Float64Array.from([0.01, 0.02].map(Math.log)), undefined)).toBeDefined();
  });
});

describe('fitBlt', () => {
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

  it('keeps decays within 1e-9 of 1 precise (n = 10^10) and reports the figures of the returned BLT', () => {
    const steps = 1e10;
    const fit = fitBlt({ steps, bufferCount: 7, restarts: 0 });
    const smallest = Math.min(...Array.from(fit.blt.decays, (t) => 1 - t));
    expect(smallest).toBeLessThan(1e-9);
    // An independent recomputation from the plain parameters (inverse decays found afresh by root finding).
    const fresh = new Blt(fit.blt.decays, fit.blt.outputScales);
    const check = bltLoss(fresh, { steps, participation: 'single' });
    expect(Math.abs(check.maxErrorLoss / fit.loss - 1)).toBeLessThan(1e-9);
    expect(Math.abs(check.sensitivity / fit.sensitivity - 1)).toBeLessThan(1e-9);
    // Square-root asymptotics: 1 + ln(n)/π + 0.066 ≈ 8.395; seven buffers come within 2%.
    expect(fit.loss).toBeGreaterThan(1 + Math.log(steps) / Math.PI);
    expect(fit.loss).toBeLessThan((1 + Math.log(steps) / Math.PI + 0.066) * 1.02);
  });

  it("adds buffers in 'auto' mode while the loss improves by more than 1%", () => {
    const fit = fitBlt({ steps: 2930, minSeparation: 59, maxParticipations: 50, bufferCount: 'auto' });
    const losses = fit.lossByBufferCount;
    expect(fit.bufferCount).toBe(losses.length - 1);
    for (let d = 1; d < fit.bufferCount; d++) expect(losses[d]!).toBeLessThan(losses[d - 1]! * 0.99);
    expect(losses[fit.bufferCount]!).toBeGreaterThanOrEqual(losses[fit.bufferCount - 1]! * 0.99);
    // Multi-participation: exact sensitivity under the worst (59, 50) pattern, checked directly.
    const direct = strategyLoss(bltStrategy(fit.blt), {
      steps: 2930,
      participation: { minSeparation: 59, maxParticipations: 50 },
    });
    expect(direct.maxErrorLoss).toBeCloseTo(fit.loss, 8);
  });

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
            expect(fit.loss).toBeLessThanOrEqual(value * (1 + 1e-9));
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('starts below the best single-buffer BLT with the rational square-root approximation', () => {
    const start = squareRootBltApproximation(4, 1024);
    const loss = bltLoss(start, { steps: 1024, participation: 'single' }).maxErrorLoss;
    expect(loss).toBeLessThan(fitBlt({ steps: 1024, bufferCount: 1 }).loss);
    expect(loss).toBeGreaterThan(reference.squareRootMaxErrorRoot1024);
    expect(() => squareRootBltApproximation(0, 10)).toThrow(/bufferCount must be an integer in \[1, 16\]/);
  });

  it('says so when it does not converge, and reports progress', () => {
    const seen: number[] = [];
    const fit = fitBlt({
      steps: 5000,
      bufferCount: 3,
      maxIterations: 2,
      restarts: 0,
      onProgress: (p) => {
        seen.push(p.loss);
        return undefined;
      },
    });
    expect(fit.converged).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    let calls = 0;
    const cancelled = fitBlt({
      steps: 5000,
      bufferCount: 3,
      onProgress: () => {
        calls++;
        return calls < 5;
      },
    });
    expect(cancelled.converged).toBe(false);
    expect(cancelled.bufferCount).toBe(1);
    expect(calls).toBe(5);
  });

  it('rejects bad options naming the parameter and range', () => {
    expect(() => fitBlt({ steps: 0 })).toThrow(/steps must be an integer in \[1, /);
    expect(() => fitBlt({ steps: 10, minSeparation: 0 })).toThrow(
      /minSeparation must be an integer in \[1, /,
    );
    expect(() => fitBlt({ steps: 10, maxParticipations: 0 })).toThrow(
      /maxParticipations must be an integer in \[1, /,
    );
    expect(() => fitBlt({ steps: Number.NaN })).toThrow(/steps must be an integer/);
    expect(() => fitBlt({ steps: 10, bufferCount: 0 })).toThrow(
      /bufferCount must be an integer in \[1, 16\]/,
    );
    expect(() => fitBlt({ steps: 10, error: 'mse' as 'max' })).toThrow(/error must be 'max' or 'rmse'/);
  });
});
