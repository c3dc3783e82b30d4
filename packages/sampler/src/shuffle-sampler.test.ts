import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../test/statistics';
import { SeededRandom } from './seeded-random';
import { ShuffleSampler } from './shuffle-sampler';

describe('ShuffleSampler', () => {
  it('declares shuffle participation and the epoch length of each last-batch policy', () => {
    const rng = SeededRandom.fromSeed(1);
    const drop = new ShuffleSampler({ datasetSize: 10, batchSize: 4, rng });
    const partial = new ShuffleSampler({ datasetSize: 10, batchSize: 4, lastBatch: 'partial', rng });
    expect(drop.participation).toEqual({ kind: 'shuffle', batchSize: 4, lastBatch: 'drop' });
    expect(drop.stepsPerEpoch).toBe(2);
    expect(partial.participation).toEqual({ kind: 'shuffle', batchSize: 4, lastBatch: 'partial' });
    expect(partial.stepsPerEpoch).toBe(3);
  });

  it('every epoch is a fresh permutation cut into batches (property over sizes and policies)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom('drop' as const, 'partial' as const),
        fc.nat(1000),
        (datasetSize, rawBatch, lastBatch, seed) => {
          const batchSize = Math.min(rawBatch, datasetSize);
          const sampler = new ShuffleSampler({
            datasetSize,
            batchSize,
            lastBatch,
            rng: SeededRandom.fromSeed(seed),
          });
          for (let epoch = 0; epoch < 3; epoch++) {
            const seen = new Set<number>();
            for (let s = 0; s < sampler.stepsPerEpoch; s++) {
              const batch = sampler.nextBatch();
              const last = s === sampler.stepsPerEpoch - 1;
              if (lastBatch === 'drop' || !last) expect(batch.length).toBe(batchSize);
              else expect(batch.length).toBe(datasetSize - batchSize * (sampler.stepsPerEpoch - 1));
              for (const i of batch) {
                expect(i >= 0 && i < datasetSize).toBe(true);
                expect(seen.has(i)).toBe(false);
                seen.add(i);
              }
            }
            const covered = lastBatch === 'drop' ? datasetSize - (datasetSize % batchSize) : datasetSize;
            expect(seen.size).toBe(covered);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('draws uniformly random permutations (chi-square over all 24 permutations of 4, alpha = 0.001)', () => {
    const sampler = new ShuffleSampler({ datasetSize: 4, batchSize: 4, rng: SeededRandom.fromSeed(17) });
    const counts = new Map<string, number>();
    const epochs = 24_000;
    for (let e = 0; e < epochs; e++) {
      const key = sampler.nextBatch().join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquareTest([...counts.values()], new Array(24).fill(epochs / 24)).pValue).toBeGreaterThan(
      0.001,
    );
  });

  it.each([
    [{ datasetSize: 0, batchSize: 1 }, /datasetSize must be an integer in \[1, /],
    [{ datasetSize: 10, batchSize: 0 }, /batchSize must be an integer in \[1, 10\], got 0/],
    [{ datasetSize: 10, batchSize: 11 }, /batchSize must be an integer in \[1, 10\], got 11/],
    [{ datasetSize: 10, batchSize: 2.5 }, /batchSize must be an integer in \[1, 10\]/],
    [{ datasetSize: 10, batchSize: Number.NaN }, /batchSize .* got NaN/],
    [{ datasetSize: 10, batchSize: 2, lastBatch: 'keep' }, /lastBatch must be 'drop' or 'partial'/],
  ])('rejects %o naming the parameter and range', (options, message) => {
    expect(
      () =>
        new ShuffleSampler({
          ...(options as { datasetSize: number; batchSize: number }),
          rng: SeededRandom.fromSeed(1),
        }),
    ).toThrow(message);
  });
});
