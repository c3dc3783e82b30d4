import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialChiSquare } from '../test/statistics';
import { BallsInBinsSampler } from './balls-in-bins-sampler';
import { SeededRandom } from './seeded-random';

describe('BallsInBinsSampler', () => {
  it('declares balls-in-bins participation with b steps per epoch', () => {
    const sampler = new BallsInBinsSampler({ datasetSize: 10, binCount: 4, rng: SeededRandom.fromSeed(1) });
    expect(sampler.participation).toEqual({ kind: 'ballsInBins', binCount: 4 });
    expect(sampler.stepsPerEpoch).toBe(4);
  });

  it('every example lands in exactly one bin per epoch (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(1000),
        (n, rawBins, seed) => {
          const binCount = Math.min(rawBins, n);
          const sampler = new BallsInBinsSampler({
            datasetSize: n,
            binCount,
            rng: SeededRandom.fromSeed(seed),
          });
          for (let epoch = 0; epoch < 3; epoch++) {
            const seen: number[] = [];
            for (let s = 0; s < binCount; s++) {
              const batch = Array.from(sampler.nextBatch());
              expect(batch).toEqual([...batch].sort((a, b) => a - b));
              seen.push(...batch);
            }
            expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('bin sizes follow Binomial(N, 1/b), empty bins included (chi-square, alpha = 0.001)', () => {
    const sampler = new BallsInBinsSampler({ datasetSize: 20, binCount: 10, rng: SeededRandom.fromSeed(9) });
    const sizes = Array.from({ length: 20_000 }, () => sampler.nextBatch().length);
    expect(sizes.filter((s) => s === 0).length).toBeGreaterThan(0);
    expect(binomialChiSquare(sizes, 20, 0.1).pValue).toBeGreaterThan(0.001);
  });

  it.each([
    [{ datasetSize: 0, binCount: 1 }, /datasetSize must be an integer in \[1, /],
    [{ datasetSize: 5, binCount: 0 }, /binCount must be an integer in \[1, 5\], got 0/],
    [{ datasetSize: 5, binCount: 6 }, /binCount must be an integer in \[1, 5\], got 6/],
    [{ datasetSize: 5, binCount: 2.5 }, /binCount must be an integer/],
    [{ datasetSize: 5, binCount: Number.NaN }, /binCount .* got NaN/],
  ])('rejects %o naming the parameter and range', (options, message) => {
    expect(() => new BallsInBinsSampler({ ...options, rng: SeededRandom.fromSeed(1) })).toThrow(message);
  });
});
