import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { describe, expect, it } from 'vitest';
import { fillGaussian } from '../src/gaussian';
import { SecureRandom } from '../src/secure-random';
import { SeededRandom } from '../src/seeded-random';
import { chiSquareTest, ksNormal } from './statistics';

/**
 * Goodness of fit of the Gaussian outputs against N(0, σ²).
 * Seeded generators: fixed seeds, significance level ALPHA = 0.001 (deterministic outcome).
 * SecureRandom: fresh randomness every run, SECURE_ALPHA = 1e-6.
 */
const ALPHA = 0.001;
const SECURE_ALPHA = 1e-6;

/**
 * Bin edges in units of σ: dense in the body, and bins beyond the ziggurat's tail start r ≈ 3.654 and beyond
 * 4.2, so that both the wedge and the tail code paths are checked.
 */
const EDGES = [
  Number.NEGATIVE_INFINITY,
  -4.2,
  -3.654,
  -3,
  -2.5,
  -2,
  -1.5,
  -1,
  -0.5,
  0,
  0.5,
  1,
  1.5,
  2,
  2.5,
  3,
  3.654,
  4.2,
  Number.POSITIVE_INFINITY,
];

function binnedChiSquare(sample: ArrayLike<number>, standardDeviation: number) {
  const bins = EDGES.length - 1;
  const observed = new Array<number>(bins).fill(0);
  for (let i = 0; i < sample.length; i++) {
    const z = sample[i]! / standardDeviation;
    let bin = 0;
    while (bin < bins - 1 && z >= EDGES[bin + 1]!) bin++;
    observed[bin]!++;
  }
  const expected = observed.map(
    (_, bin) => sample.length * (normalCdf(EDGES[bin + 1]!, 0, 1) - normalCdf(EDGES[bin]!, 0, 1)),
  );
  return chiSquareTest(observed, expected);
}

describe('fillGaussian goodness of fit', () => {
  it.each([
    ['Float64Array', 1, 0.5],
    ['Float64Array', 99, 3],
    ['Float32Array', 7, 1],
  ] as const)(
    'fast path, %s, seed %i, sigma %d: chi-square with tail bins and KS at alpha = 0.001',
    (type, seed, sigma) => {
      const sample = type === 'Float32Array' ? new Float32Array(200_000) : new Float64Array(200_000);
      fillGaussian(sample, sigma, SeededRandom.fromSeed(seed));
      expect(binnedChiSquare(sample, sigma).pValue).toBeGreaterThan(ALPHA);
      expect(ksNormal(sample, sigma).pValue).toBeGreaterThan(ALPHA);
    },
  );

  it('secure mode, seeded: chi-square with tail bins and KS at alpha = 0.001', () => {
    const sample = new Float64Array(100_000);
    fillGaussian(sample, 2, SeededRandom.fromSeed(31), { secure: true });
    expect(binnedChiSquare(sample, 2).pValue).toBeGreaterThan(ALPHA);
    expect(ksNormal(sample, 2).pValue).toBeGreaterThan(ALPHA);
  });

  it('SecureRandom, fast and secure modes: chi-square and KS at alpha = 1e-6', () => {
    const rng = new SecureRandom();
    for (const secure of [false, true]) {
      const sample = new Float32Array(50_000);
      fillGaussian(sample, 1.5, rng, { secure });
      expect(binnedChiSquare(sample, 1.5).pValue).toBeGreaterThan(SECURE_ALPHA);
      expect(ksNormal(sample, 1.5).pValue).toBeGreaterThan(SECURE_ALPHA);
    }
  });

  it('sample variance matches sigma^2 in both modes (4.5 standard errors)', () => {
    for (const secure of [false, true]) {
      const n = 100_000;
      const sample = new Float64Array(n);
      fillGaussian(sample, 2, SeededRandom.fromSeed(12), { secure });
      let sumSquares = 0;
      for (const x of sample) sumSquares += x * x;
      // Var of the estimator of σ² = 4 is 2σ⁴/n.
      expect(Math.abs(sumSquares / n - 4)).toBeLessThan(4.5 * Math.sqrt((2 * 16) / n));
    }
  });

  it('the binned test detects a wrong variance (power check of the test itself)', () => {
    const sample = new Float64Array(200_000);
    fillGaussian(sample, 1.02, SeededRandom.fromSeed(1));
    expect(binnedChiSquare(sample, 1).pValue).toBeLessThan(ALPHA);
  });
});
