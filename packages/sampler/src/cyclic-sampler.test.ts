import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CyclicSampler } from './cyclic-sampler';
import { SeededRandom } from './seeded-random';

describe('CyclicSampler', () => {
  it('declares min-separation b = ceil(N / B) with one participation per epoch', () => {
    const sampler = new CyclicSampler({ datasetSize: 10, batchSize: 4 });
    expect(sampler.stepsPerEpoch).toBe(3);
    expect(sampler.participation).toEqual({
      kind: 'cyclic',
      minSeparation: 3,
      participationsPerEpoch: 1,
      batchSize: 4,
    });
  });

  it('splits contiguously and balanced without a generator', () => {
    const sampler = new CyclicSampler({ datasetSize: 10, batchSize: 4 });
    expect([0, 1, 2, 3].map(() => Array.from(sampler.nextBatch()))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
      [0, 1, 2],
    ]);
  });

  it('every example participates once per epoch, exactly b steps apart, over many epochs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 80 }),
        fc.option(fc.nat(1000), { nil: undefined }),
        (datasetSize, rawBatch, seed) => {
          const batchSize = Math.min(rawBatch, datasetSize);
          const rng = seed === undefined ? undefined : SeededRandom.fromSeed(seed);
          const sampler = new CyclicSampler({ datasetSize, batchSize, ...(rng ? { rng } : {}) });
          const b = sampler.participation.minSeparation;
          expect(b).toBe(Math.ceil(datasetSize / batchSize));
          const lastStep = new Array<number>(datasetSize).fill(-1);
          const epochs = 12;
          for (let step = 0; step < epochs * b; step++) {
            const batch = sampler.nextBatch();
            expect(batch.length).toBeLessThanOrEqual(batchSize);
            expect(batch.length).toBeGreaterThanOrEqual(Math.floor(datasetSize / b));
            for (const i of batch) {
              // First participation in the first epoch, then exactly b steps after the previous one.
              if (lastStep[i] === -1) expect(step).toBeLessThan(b);
              else expect(step - lastStep[i]!).toBe(b);
              lastStep[i] = step;
            }
          }
          // Everybody participated in the last epoch.
          for (const s of lastStep) expect(s).toBeGreaterThanOrEqual((epochs - 1) * b);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('exports the identity split as null and a random split in full', () => {
    const plain = new CyclicSampler({ datasetSize: 6, batchSize: 2 });
    expect(plain.exportState().order).toBeNull();
    const shuffled = new CyclicSampler({ datasetSize: 6, batchSize: 2, rng: SeededRandom.fromSeed(3) });
    const state = shuffled.exportState();
    expect([...(state.order ?? [])].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Restoring a shuffled split into a plain sampler adopts it, and the reverse goes back to the identity.
    plain.restoreState(state);
    expect(Array.from(plain.nextBatch())).toEqual(Array.from(shuffled.nextBatch()));
    shuffled.restoreState(new CyclicSampler({ datasetSize: 6, batchSize: 2 }).exportState());
    expect(Array.from(shuffled.nextBatch())).toEqual([0, 1]);
  });

  it('a generator makes a random split, drawn once and then fixed', () => {
    const sampler = new CyclicSampler({ datasetSize: 30, batchSize: 10, rng: SeededRandom.fromSeed(2) });
    const epoch1 = [0, 1, 2].map(() => Array.from(sampler.nextBatch()));
    const epoch2 = [0, 1, 2].map(() => Array.from(sampler.nextBatch()));
    expect(epoch2).toEqual(epoch1);
    expect(epoch1[0]).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(Array.from(sampler.batchAt(1))).toEqual(epoch1[1]);
  });

  it.each([
    [{ datasetSize: -1, batchSize: 1 }, /datasetSize must be an integer in \[1, /],
    [{ datasetSize: 1.5, batchSize: 1 }, /datasetSize must be an integer/],
    [{ datasetSize: 5, batchSize: 0 }, /batchSize must be an integer in \[1, 5\], got 0/],
    [{ datasetSize: 5, batchSize: 6 }, /batchSize must be an integer in \[1, 5\], got 6/],
    [{ datasetSize: 5, batchSize: Number.NaN }, /batchSize .* got NaN/],
  ])('rejects %o naming the parameter and range', (options, message) => {
    expect(() => new CyclicSampler(options)).toThrow(message);
  });

  it('batchAt rejects positions outside the epoch', () => {
    expect(() => new CyclicSampler({ datasetSize: 5, batchSize: 2 }).batchAt(3)).toThrow(
      /position must be an integer in \[0, 2\]/,
    );
  });
});
