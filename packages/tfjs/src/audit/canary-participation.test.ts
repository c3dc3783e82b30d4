import { CyclicPoissonSampler, CyclicSampler, PoissonSampler, SeededRandom } from '@cnm/sampler';
import { describe, expect, it } from 'vitest';
import { canaryPatterns } from './canary-participation';

const draw = (sampler: { nextBatch(): Int32Array }, steps: number) =>
  Array.from({ length: steps }, () => sampler.nextBatch().slice());

describe('canaryPatterns', () => {
  it('marks exactly the steps a cyclic sampler put each canary slot in', () => {
    const sampler = new CyclicSampler({ datasetSize: 10, batchSize: 3, rng: SeededRandom.fromSeed(1) });
    const steps = 3 * sampler.stepsPerEpoch;
    const batches = draw(sampler, steps);
    const patterns = canaryPatterns({ sampler, firstSlot: 6, canaries: 4, steps, batches });
    patterns.forEach((pattern, i) => {
      pattern.forEach((value, t) => {
        expect(value).toBe(batches[t]?.includes(6 + i) ? 1 : 0);
      });
      // One participation per epoch.
      expect(pattern.reduce((a, b) => a + b)).toBe(3);
    });
  });

  it('puts the sampling rate on every step under Poisson sampling (the draws are secret)', () => {
    const sampler = new PoissonSampler({ datasetSize: 20, sampleRate: 0.2, rng: SeededRandom.fromSeed(2) });
    const patterns = canaryPatterns({ sampler, firstSlot: 15, canaries: 5, steps: 7, batches: [] });
    for (const pattern of patterns) expect(Array.from(pattern)).toEqual(new Array(7).fill(0.2));
  });

  it('puts the sampling rate on the steps of the canary group under cyclic Poisson sampling, covering every draw', () => {
    const sampler = new CyclicPoissonSampler({
      datasetSize: 30,
      bands: 3,
      sampleRate: 0.5,
      rng: SeededRandom.fromSeed(3),
    });
    const steps = 12;
    const patterns = canaryPatterns({ sampler, firstSlot: 10, canaries: 20, steps, batches: [] });
    const batches = draw(sampler, steps);
    patterns.forEach((pattern, i) => {
      const group = [0, 1, 2].find((g) => sampler.groupMembers(g).includes(10 + i)) as number;
      pattern.forEach((value, t) => {
        expect(value).toBe(t % 3 === group ? 0.5 : 0);
      });
      batches.forEach((batch, t) => {
        if (batch.includes(10 + i)) expect(pattern[t]).toBe(0.5);
      });
    });
  });

  it('refuses a cyclic run without its batches and a sampler kind the engine does not build', () => {
    const sampler = new CyclicSampler({ datasetSize: 4, batchSize: 2 });
    expect(() => canaryPatterns({ sampler, firstSlot: 2, canaries: 2, steps: 2, batches: [] })).toThrow(
      /2 batches needed/,
    );
    const shuffle = { participation: { kind: 'shuffle', batchSize: 2 } } as never;
    expect(() =>
      canaryPatterns({ sampler: shuffle, firstSlot: 2, canaries: 2, steps: 2, batches: [] }),
    ).toThrow(/not a shuffle sampler/);
  });
});
