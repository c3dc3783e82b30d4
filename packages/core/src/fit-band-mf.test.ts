import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixSumError, workloadError } from './error';
import { fitBandMf } from './fit-band-mf';
import { toeplitzInverse } from './toeplitz';

/** The loss of a band, computed from scratch: ‖c‖ · √error of the workload with C⁻¹ = toeplitzInverse(c). */
function lossOf(band: ArrayLike<number>, steps: number, kind: 'rmse' | 'max', momentum = 0): number {
  const summary = workloadError(toeplitzInverse(band, steps), { momentum });
  const norm = Math.hypot(...Array.from(band));
  return norm * Math.sqrt(kind === 'max' ? summary.maxError : summary.meanError);
}

describe('fitBandMf', () => {
  it('gives C = I (DP-SGD) for one band: RMSE √((n+1)/2), max error root √n', () => {
    const rmse = fitBandMf({ steps: 100, bands: 1 });
    expect(Array.from(rmse.coefficients)).toEqual([1]);
    expect(rmse.loss).toBeCloseTo(Math.sqrt(101 / 2), 12);
    expect(rmse.errorKind).toBe('rmse');
    expect(fitBandMf({ steps: 100, bands: 1, error: 'max' }).loss).toBeCloseTo(10, 12);
  });

  it('returns a unit-norm band whose loss is the independently computed workload error', () => {
    const fit = fitBandMf({ steps: 200, bands: 6 });
    expect(fit.coefficients.length).toBe(6);
    expect(Math.hypot(...fit.coefficients)).toBeCloseTo(1, 14);
    expect(fit.converged).toBe(true);
    const direct = prefixSumError(toeplitzInverse(fit.coefficients, 200));
    expect(fit.loss).toBeCloseTo(Math.sqrt(direct.meanError), 12);
    expect(Array.from(fit.strategy.band)).toEqual(Array.from(fit.coefficients));
  });

  it('improves (never worsens) as bands are added, and beats DP-SGD for b > 1', () => {
    let previous = Number.POSITIVE_INFINITY;
    for (const bands of [1, 2, 3, 5, 8, 13]) {
      const { loss } = fitBandMf({ steps: 120, bands, error: 'max' });
      expect(loss).toBeLessThanOrEqual(previous * (1 + 1e-12));
      previous = loss;
    }
    expect(previous).toBeLessThan(Math.sqrt(120) * 0.6);
  });

  it('is a local minimum: no small perturbation of the band lowers the loss (property)', () => {
    const cases = [
      { steps: 64, bands: 4, error: 'rmse' as const, momentum: 0 },
      { steps: 50, bands: 5, error: 'max' as const, momentum: 0.9 },
    ];
    for (const problem of cases) {
      const fit = fitBandMf(problem);
      const best = lossOf(fit.coefficients, problem.steps, problem.error, problem.momentum);
      expect(best).toBeCloseTo(fit.loss, 12);
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e-3, max: 1e-3, noNaN: true }), {
            minLength: problem.bands,
            maxLength: problem.bands,
          }),
          (delta) => {
            const moved = Array.from(fit.coefficients, (c, i) => c + delta[i]!);
            expect(lossOf(moved, problem.steps, problem.error, problem.momentum)).toBeGreaterThanOrEqual(
              best * (1 - 1e-12),
            );
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('fits a learning-rate schedule workload (the loss is that workload’s error)', () => {
    const steps = 40;
    const learningRates = Array.from({ length: steps }, (_, t) => 1 - t / steps);
    const fit = fitBandMf({ steps, bands: 3, learningRates, error: 'max' });
    const summary = workloadError(toeplitzInverse(fit.coefficients, steps), { learningRates });
    expect(fit.loss).toBeCloseTo(Math.sqrt(summary.maxError), 12);
    // Better than the same band fitted for plain prefix sums, on this workload.
    const plain = fitBandMf({ steps, bands: 3, error: 'max' });
    const plainSummary = workloadError(toeplitzInverse(plain.coefficients, steps), { learningRates });
    expect(fit.loss).toBeLessThanOrEqual(Math.sqrt(plainSummary.maxError) * (1 + 1e-12));
  });

  it('rejects bad input with the option name and its range', () => {
    expect(() => fitBandMf({ steps: 10, bands: 0 })).toThrow(/bands must be an integer in \[1, 10\], got 0/);
    expect(() => fitBandMf({ steps: 10, bands: 2.5 })).toThrow(/bands must be an integer in \[1, 10\]/);
    expect(() => fitBandMf({ steps: 10, bands: 11 })).toThrow(
      /bands must be an integer in \[1, 10\], got 11/,
    );
    expect(() => fitBandMf({ steps: 0, bands: 1 })).toThrow(/steps must be an integer/);
    expect(() => fitBandMf({ steps: 10, bands: 2, error: 'mean' as 'max' })).toThrow(
      /error must be 'rmse' or 'max'/,
    );
    expect(() => fitBandMf({ steps: 10, bands: 2, momentum: 1 })).toThrow(/momentum must be a finite number/);
    expect(() => fitBandMf({ steps: 10, bands: 2, learningRates: [1, 2] })).toThrow(
      /one entry per step \(10\)/,
    );
    expect(() => fitBandMf(null as never)).toThrow(/options must be an object/);
  });
});
