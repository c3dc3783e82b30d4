import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoissonSampler } from './poisson-sampler';
import { SeededRandom } from './seeded-random';

describe('PoissonSampler', () => {
  it('declares Poisson participation with its sample rate', () => {
    const sampler = new PoissonSampler({ datasetSize: 100, sampleRate: 0.03, rng: SeededRandom.fromSeed(1) });
    expect(sampler.participation).toEqual({ kind: 'poisson', sampleRate: 0.03 });
    expect(sampler.stepsPerEpoch).toBe(33);
    expect(sampler.datasetSize).toBe(100);
  });

  it('yields distinct increasing in-range indices (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.double({ min: 1e-4, max: 1, noNaN: true }).filter((q) => q > 0),
        fc.nat(10_000),
        (datasetSize, sampleRate, seed) => {
          const sampler = new PoissonSampler({ datasetSize, sampleRate, rng: SeededRandom.fromSeed(seed) });
          for (let step = 0; step < 5; step++) {
            const batch = sampler.nextBatch();
            for (let i = 0; i < batch.length; i++) {
              expect(batch[i]).toBeGreaterThanOrEqual(i === 0 ? 0 : batch[i - 1]! + 1);
              expect(batch[i]).toBeLessThan(datasetSize);
            }
          }
          expect(sampler.step).toBe(5);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('yields empty batches instead of skipping them', () => {
    const sampler = new PoissonSampler({ datasetSize: 3, sampleRate: 0.05, rng: SeededRandom.fromSeed(2) });
    const sizes = Array.from({ length: 200 }, () => sampler.nextBatch().length);
    expect(sampler.step).toBe(200);
    // P(empty) = 0.95^3 ≈ 0.857.
    expect(sizes.filter((s) => s === 0).length).toBeGreaterThan(150);
    expect(sizes.some((s) => s > 0)).toBe(true);
  });

  it('takes every example when the sample rate is 1', () => {
    const sampler = new PoissonSampler({ datasetSize: 7, sampleRate: 1, rng: SeededRandom.fromSeed(2) });
    expect(Array.from(sampler.nextBatch())).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('works with tiny rates on large datasets without drawing per example', () => {
    const rng = SeededRandom.fromSeed(4);
    const sampler = new PoissonSampler({ datasetSize: 2 ** 31 - 1, sampleRate: 1e-8, rng });
    const batch = sampler.nextBatch();
    // Expected size 21.5; the draw count is batch size + 1 (two words each).
    expect(batch.length).toBeLessThan(60);
  });

  it.each([
    [{ datasetSize: 0, sampleRate: 0.5 }, /datasetSize must be an integer in \[1, 2147483647\], got 0/],
    [{ datasetSize: -5, sampleRate: 0.5 }, /datasetSize must be an integer in \[1, /],
    [{ datasetSize: 2.5, sampleRate: 0.5 }, /datasetSize must be an integer/],
    [{ datasetSize: Number.NaN, sampleRate: 0.5 }, /datasetSize .* got NaN/],
    [{ datasetSize: 10, sampleRate: 0 }, /sampleRate must be a finite number in \(0, 1\], got 0/],
    [{ datasetSize: 10, sampleRate: 1.5 }, /sampleRate must be a finite number in \(0, 1\]/],
    [{ datasetSize: 10, sampleRate: -0.1 }, /sampleRate/],
    [{ datasetSize: 10, sampleRate: Number.NaN }, /sampleRate .* got NaN/],
  ])('rejects %o naming the parameter and range', (options, message) => {
    expect(() => new PoissonSampler({ ...options, rng: SeededRandom.fromSeed(1) })).toThrow(message);
  });

  it('rejects a missing generator', () => {
    expect(
      () =>
        new PoissonSampler({ datasetSize: 3, sampleRate: 0.5, rng: undefined as unknown as SeededRandom }),
    ).toThrow(TypeError);
  });
});
