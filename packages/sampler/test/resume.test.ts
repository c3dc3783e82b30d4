import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BallsInBinsSampler } from '../src/balls-in-bins-sampler';
import type { BatchSampler, BatchSamplerState } from '../src/batch-sampler';
import { CyclicSampler } from '../src/cyclic-sampler';
import { PoissonSampler } from '../src/poisson-sampler';
import type { RandomGenerator } from '../src/random-generator';
import { SecureRandom } from '../src/secure-random';
import { SeededRandom } from '../src/seeded-random';
import { ShuffleSampler } from '../src/shuffle-sampler';

type Factory = (rng: RandomGenerator) => BatchSampler;

const factories: Record<string, Factory> = {
  poisson: (rng) => new PoissonSampler({ datasetSize: 37, sampleRate: 0.2, rng }),
  shuffleDrop: (rng) => new ShuffleSampler({ datasetSize: 37, batchSize: 5, rng }),
  shufflePartial: (rng) => new ShuffleSampler({ datasetSize: 37, batchSize: 5, lastBatch: 'partial', rng }),
  cyclic: (rng) => new CyclicSampler({ datasetSize: 37, batchSize: 5, rng }),
  ballsInBins: (rng) => new BallsInBinsSampler({ datasetSize: 37, binCount: 6, rng }),
};

function take(sampler: BatchSampler, count: number): number[][] {
  return Array.from({ length: count }, () => Array.from(sampler.nextBatch()));
}

describe.each(Object.entries(factories))('%s sampler: exact resume', (_name, create) => {
  it('continues the same batches after export, JSON round trip and restore into a new sampler (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(40), fc.integer({ min: 1, max: 30 }), (seed, before, after) => {
        const original = create(SeededRandom.fromSeed(seed));
        take(original, before);
        const saved: BatchSamplerState = JSON.parse(JSON.stringify(original.exportState()));
        const expected = take(original, after);
        // A different seed: the restored state must override it completely.
        const resumed = create(SeededRandom.fromSeed(seed + 1));
        resumed.restoreState(saved);
        expect(resumed.step).toBe(before);
        expect(take(resumed, after)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic per seed', () => {
    expect(take(create(SeededRandom.fromSeed(3)), 20)).toEqual(take(create(SeededRandom.fromSeed(3)), 20));
    expect(take(create(SeededRandom.fromSeed(3)), 20)).not.toEqual(
      take(create(SeededRandom.fromSeed(4)), 20),
    );
  });

  it('refuses a state of another sampler kind', () => {
    const sampler = create(SeededRandom.fromSeed(1));
    const other = sampler.participation.kind === 'poisson' ? factories.cyclic! : factories.poisson!;
    const foreign = other(SeededRandom.fromSeed(1)).exportState();
    expect(() => sampler.restoreState(foreign)).toThrow(/state must be a/);
  });
});

describe('resume with SecureRandom', () => {
  it('keeps the position of a mid-epoch shuffle (the permutation is in the state)', () => {
    const original = new ShuffleSampler({ datasetSize: 20, batchSize: 4, rng: new SecureRandom() });
    const first = Array.from(original.nextBatch());
    const saved = original.exportState();
    expect(saved.rng).toBeNull();
    const rest = take(original, 4);
    const resumed = new ShuffleSampler({ datasetSize: 20, batchSize: 4, rng: new SecureRandom() });
    resumed.restoreState(saved);
    expect(take(resumed, 4)).toEqual(rest);
    expect([first, ...rest].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses to mix seeded and secure states', () => {
    const secure = new PoissonSampler({ datasetSize: 10, sampleRate: 0.5, rng: new SecureRandom() });
    const seeded = new PoissonSampler({ datasetSize: 10, sampleRate: 0.5, rng: SeededRandom.fromSeed(1) });
    expect(() => secure.restoreState(seeded.exportState())).toThrow(/does not use a SeededRandom/);
    expect(() => seeded.restoreState(secure.exportState())).toThrow(/uses a SeededRandom/);
  });
});

describe('restoreState validation', () => {
  it('refuses other parameters, a bad step and a corrupted permutation', () => {
    const sampler = new ShuffleSampler({ datasetSize: 6, batchSize: 2, rng: SeededRandom.fromSeed(1) });
    sampler.nextBatch();
    const state = sampler.exportState();
    expect(() => sampler.restoreState({ ...state, batchSize: 3 })).toThrow(/state.batchSize must equal/);
    expect(() => sampler.restoreState({ ...state, datasetSize: 7 })).toThrow(/state.datasetSize must equal/);
    expect(() => sampler.restoreState({ ...state, step: -1 })).toThrow(/state.step must be an integer/);
    expect(() => sampler.restoreState({ ...state, order: [0, 1, 2, 3, 4, 4] })).toThrow(
      /permutation of \[0, 6\)/,
    );
    expect(() => sampler.restoreState({ ...state, order: null })).toThrow(/current permutation/);
    const cyclic = new CyclicSampler({ datasetSize: 6, batchSize: 2 });
    expect(() => cyclic.restoreState({ ...cyclic.exportState(), order: [0, 1, 2] })).toThrow(
      /array of 6 indices/,
    );
    const bins = new BallsInBinsSampler({ datasetSize: 6, binCount: 3, rng: SeededRandom.fromSeed(1) });
    bins.nextBatch();
    expect(() => bins.restoreState({ ...bins.exportState(), binOfExample: [0, 1, 2, 3, 0, 0] })).toThrow(
      /integers in \[0, 2\]/,
    );
  });
});
