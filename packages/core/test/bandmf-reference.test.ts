/**
 * fitBandMf against the independent float64 reference of scripts/generate-bandmf-reference.py (dense numpy linear
 * algebra, scipy L-BFGS-B, and the integer-order RDP of the subsampled Gaussian): Toeplitz optima for several
 * workloads, the general (non-Toeplitz) banded optimum, and the best band count against ε.
 */
import { describe, expect, it } from 'vitest';
import { fitBandMf } from '../src/fit-band-mf';
import reference from './fixtures/bandmf-reference.json' with { type: 'json' };

describe('fitBandMf reference values', () => {
  it('reaches the reference Toeplitz optimum (prefix sums, RMSE and max error)', () => {
    for (const entry of reference.toeplitz) {
      const fit = fitBandMf({ steps: entry.steps, bands: entry.bands, error: entry.error as 'rmse' | 'max' });
      // Never above the reference (up to rounding), and not below it either: both are the optimum.
      expect(Math.abs(fit.loss / entry.loss - 1)).toBeLessThan(1e-7);
      for (let i = 0; i < entry.bands; i++)
        expect(fit.coefficients[i]).toBeCloseTo(entry.coefficients[i]!, 4);
    }
  });

  it('reaches the reference optimum of momentum and learning-rate-schedule workloads', () => {
    for (const entry of reference.workloads) {
      const fit = fitBandMf({
        steps: entry.steps,
        bands: entry.bands,
        error: entry.error as 'rmse' | 'max',
        momentum: entry.momentum,
        ...(entry.learningRates === null ? {} : { learningRates: entry.learningRates }),
      });
      expect(Math.abs(fit.loss / entry.loss - 1)).toBeLessThan(1e-6);
    }
  });

  it('stays close to the general (non-Toeplitz) banded optimum: within 1% for bands ≤ steps / 16', () => {
    for (const entry of reference.general) {
      const toeplitz = fitBandMf({ steps: entry.steps, bands: entry.bands }).loss;
      expect(toeplitz).toBeCloseTo(entry.toeplitzLoss, 9);
      // The general banded C is a superset: never worse than the Toeplitz one.
      expect(entry.loss).toBeLessThanOrEqual(toeplitz);
      const gap = toeplitz / entry.loss - 1;
      // The Toeplitz C wastes the shorter last columns, which matters only when the band is a large share of n:
      // 1.6-1.8% at bands = steps / 8 and steps / 4, below 1% from steps / 16 down.
      expect(gap).toBeLessThan(entry.bands * 16 <= entry.steps ? 0.01 : 0.02);
    }
  });

  it('picks a best band count σ(b) · RMSE(b) that grows with ε (reference σ from RDP)', () => {
    const scan = reference.epsilonScan;
    const rmse = scan.rows[0]!.bands.map((bands) => fitBandMf({ steps: scan.steps, bands }).loss);
    for (const [i, loss] of rmse.entries()) expect(loss).toBeCloseTo(scan.rows[0]!.rmse[i]!, 7);
    let previous = 0;
    for (const row of scan.rows) {
      const errors = row.sigma.map((sigma, i) => sigma * rmse[i]!);
      const best = errors.indexOf(Math.min(...errors));
      expect(row.bands[best]).toBe(row.bestBands);
      expect(row.bestBands).toBeGreaterThanOrEqual(previous);
      previous = row.bestBands;
      // Never worse than DP-SGD (b = 1).
      expect(errors[best]!).toBeLessThanOrEqual(errors[0]!);
    }
    expect(scan.rows.map((row) => row.bestBands)).toEqual([2, 2, 5, 20]);
  });
});
