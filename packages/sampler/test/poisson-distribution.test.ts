import { describe, expect, it } from 'vitest';
import { PoissonSampler } from '../src/poisson-sampler';
import { SeededRandom } from '../src/seeded-random';
import { binomialChiSquare, chiSquareTest } from './statistics';

/**
 * The Poisson sampler must realise exactly what the accounting assumes: every example independently with
 * probability q. Fixed seeds; significance level ALPHA = 0.001.
 */
const ALPHA = 0.001;

describe('Poisson sampling distribution', () => {
  it.each([
    [200, 0.05, 1],
    [50, 0.5, 2],
    [1_000_000, 1e-5, 3],
  ])(
    'batch sizes follow Binomial(%i, %d) (chi-square, alpha = 0.001, seed %i)',
    (datasetSize, sampleRate, seed) => {
      const sampler = new PoissonSampler({ datasetSize, sampleRate, rng: SeededRandom.fromSeed(seed) });
      const sizes = Array.from({ length: 20_000 }, () => sampler.nextBatch().length);
      expect(binomialChiSquare(sizes, datasetSize, sampleRate).pValue).toBeGreaterThan(ALPHA);
    },
  );

  it('every index is included with the same probability (chi-square over indices, alpha = 0.001)', () => {
    const datasetSize = 40;
    const steps = 10_000;
    const sampleRate = 0.1;
    const sampler = new PoissonSampler({ datasetSize, sampleRate, rng: SeededRandom.fromSeed(5) });
    const counts = new Array<number>(datasetSize).fill(0);
    let total = 0;
    for (let s = 0; s < steps; s++) {
      for (const i of sampler.nextBatch()) {
        counts[i]!++;
        total++;
      }
    }
    // Conditioned on the total, the counts are multinomial with equal cells.
    expect(chiSquareTest(counts, new Array(datasetSize).fill(total / datasetSize)).pValue).toBeGreaterThan(
      ALPHA,
    );
    // And the total itself is Binomial(steps N, q): within 4.5 standard deviations.
    const mean = steps * datasetSize * sampleRate;
    expect(Math.abs(total - mean)).toBeLessThan(4.5 * Math.sqrt(mean * (1 - sampleRate)));
  });

  it('neighbouring indices are included independently (2x2 contingency, alpha = 0.001)', () => {
    const sampleRate = 0.3;
    const sampler = new PoissonSampler({ datasetSize: 6, sampleRate, rng: SeededRandom.fromSeed(8) });
    const steps = 20_000;
    // Joint outcomes of (index 2, index 3): none, only 2, only 3, both.
    const joint = [0, 0, 0, 0];
    for (let s = 0; s < steps; s++) {
      const batch = Array.from(sampler.nextBatch());
      joint[(batch.includes(2) ? 1 : 0) + (batch.includes(3) ? 2 : 0)]!++;
    }
    const q = sampleRate;
    const expected = [(1 - q) ** 2, q * (1 - q), q * (1 - q), q * q].map((p) => p * steps);
    expect(chiSquareTest(joint, expected).pValue).toBeGreaterThan(ALPHA);
  });

  it('the batch-size test detects a wrong rate (power check of the test itself)', () => {
    const sampler = new PoissonSampler({
      datasetSize: 200,
      sampleRate: 0.052,
      rng: SeededRandom.fromSeed(1),
    });
    const sizes = Array.from({ length: 20_000 }, () => sampler.nextBatch().length);
    expect(binomialChiSquare(sizes, 200, 0.05).pValue).toBeLessThan(ALPHA);
  });
});
