import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialChiSquare } from '../test/statistics';
import { CyclicPoissonSampler } from './cyclic-poisson-sampler';
import { SecureRandom } from './secure-random';
import { SeededRandom } from './seeded-random';

describe('CyclicPoissonSampler', () => {
  it('declares cyclic Poisson participation and one expected pass per epoch', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 60_000,
      bands: 12,
      sampleRate: 0.2048,
      rng: SeededRandom.fromSeed(1),
    });
    expect(sampler.participation).toEqual({ kind: 'cyclicPoisson', bands: 12, sampleRate: 0.2048 });
    // Expected batch 0.2048 · 60000 / 12 = 1024, so one pass over the data is 60000 / 1024 ≈ 59 steps.
    expect(sampler.stepsPerEpoch).toBe(59);
  });

  it('splits the data into balanced fixed groups that partition it', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 23,
      bands: 5,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(3),
    });
    const all = [0, 1, 2, 3, 4].flatMap((g) => Array.from(sampler.groupMembers(g)));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    for (let g = 0; g < 5; g++) expect([4, 5]).toContain(sampler.groupMembers(g).length);
    expect(() => sampler.groupMembers(5)).toThrow(/group must be an integer in \[0, 4\]/);
  });

  it('puts every example only in the steps of its own group (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.nat(10_000),
        (datasetSize, bandsWish, sampleRate, seed) => {
          const bands = Math.min(bandsWish, datasetSize);
          const sampler = new CyclicPoissonSampler({
            datasetSize,
            bands,
            sampleRate,
            rng: SeededRandom.fromSeed(seed),
          });
          const groupOf = new Int32Array(datasetSize);
          for (let g = 0; g < bands; g++) for (const i of sampler.groupMembers(g)) groupOf[i] = g;
          const lastStep = new Int32Array(datasetSize).fill(-1);
          for (let t = 0; t < 3 * bands + 1; t++) {
            const batch = sampler.nextBatch();
            for (let k = 0; k < batch.length; k++) {
              const i = batch[k]!;
              expect(k === 0 || i > batch[k - 1]!).toBe(true);
              expect(groupOf[i]).toBe(t % bands);
              // Participations of one example are a multiple of `bands` steps apart.
              if (lastStep[i]! >= 0) expect((t - lastStep[i]!) % bands).toBe(0);
              lastStep[i] = t;
            }
          }
          expect(sampler.step).toBe(3 * bands + 1);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('has Binomial(group size, p) batch sizes, empty batches included (chi-square, alpha = 0.001)', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 90,
      bands: 3,
      sampleRate: 0.1,
      rng: SeededRandom.fromSeed(9),
    });
    const sizes = Array.from({ length: 30_000 }, () => sampler.nextBatch().length);
    expect(sizes.filter((s) => s === 0).length).toBeGreaterThan(0);
    expect(binomialChiSquare(sizes, 30, 0.1).pValue).toBeGreaterThan(0.001);
    // Each example of the active group is equally likely: inclusion counts per example ≈ p · steps / bands.
    const counts = new Float64Array(90);
    const again = new CyclicPoissonSampler({
      datasetSize: 90,
      bands: 3,
      sampleRate: 0.1,
      rng: SeededRandom.fromSeed(10),
    });
    for (let t = 0; t < 30_000; t++) for (const i of again.nextBatch()) counts[i]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(1000 * 0.9));
  });

  it('takes the whole active group when the sample rate is 1', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 10,
      bands: 2,
      sampleRate: 1,
      rng: SeededRandom.fromSeed(2),
    });
    expect(Array.from(sampler.nextBatch())).toEqual(Array.from(sampler.groupMembers(0)));
    expect(Array.from(sampler.nextBatch())).toEqual(Array.from(sampler.groupMembers(1)));
    expect(Array.from(sampler.nextBatch())).toEqual(Array.from(sampler.groupMembers(0)));
  });

  it('resumes exactly from a JSON state (groups and generator stream)', () => {
    const make = (seed: number) =>
      new CyclicPoissonSampler({
        datasetSize: 500,
        bands: 7,
        sampleRate: 0.3,
        rng: SeededRandom.fromSeed(seed),
      });
    const original = make(5);
    for (let t = 0; t < 11; t++) original.nextBatch();
    const saved = JSON.parse(JSON.stringify(original.exportState()));
    // A sampler built from another seed has other groups: restoring must bring back the saved ones.
    const resumed = make(6);
    resumed.restoreState(saved);
    expect(resumed.step).toBe(11);
    for (let t = 0; t < 20; t++)
      expect(Array.from(resumed.nextBatch())).toEqual(Array.from(original.nextBatch()));
  });

  it('refuses a mismatched state', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 20,
      bands: 4,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(1),
    });
    const state = sampler.exportState();
    const other = new CyclicPoissonSampler({
      datasetSize: 20,
      bands: 5,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(1),
    });
    expect(() => other.restoreState(state)).toThrow(/state.bands must equal this sampler's bands 5, got 4/);
    expect(() => sampler.restoreState({ ...state, order: [0, 0, ...state.order.slice(2)] })).toThrow(
      /state.order must be a permutation/,
    );
    const secure = new CyclicPoissonSampler({
      datasetSize: 20,
      bands: 4,
      sampleRate: 0.5,
      rng: new SecureRandom(),
    });
    expect(secure.exportState().rng).toBeNull();
    expect(() => secure.restoreState(state)).toThrow(/does not use a SeededRandom/);
  });

  it.each([
    [{ datasetSize: 10, bands: 0, sampleRate: 0.5 }, /bands must be an integer in \[1, 10\], got 0/],
    [{ datasetSize: 10, bands: 11, sampleRate: 0.5 }, /bands must be an integer in \[1, 10\], got 11/],
    [{ datasetSize: 10, bands: 2.5, sampleRate: 0.5 }, /bands must be an integer in \[1, 10\]/],
    [{ datasetSize: 0, bands: 1, sampleRate: 0.5 }, /datasetSize must be an integer/],
    [{ datasetSize: 10, bands: 2, sampleRate: 0 }, /sampleRate must be a finite number in \(0, 1\], got 0/],
    [{ datasetSize: 10, bands: 2, sampleRate: 1.01 }, /sampleRate must be a finite number in \(0, 1\]/],
  ])('rejects %o naming the parameter and range', (options, message) => {
    expect(() => new CyclicPoissonSampler({ ...options, rng: SeededRandom.fromSeed(1) })).toThrow(message);
  });
});
