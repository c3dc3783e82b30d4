import { describe, expect, it } from 'vitest';
import { BallsInBinsSampler } from './balls-in-bins-sampler';
import { randomnessOf } from './batch-sampler';
import { CyclicPoissonSampler } from './cyclic-poisson-sampler';
import { CyclicSampler } from './cyclic-sampler';
import { PoissonSampler } from './poisson-sampler';
import type { RandomGenerator } from './random-generator';
import { SecureRandom } from './secure-random';
import { SeededRandom } from './seeded-random';
import { ShuffleSampler } from './shuffle-sampler';

const samplers = {
  poisson: (rng: RandomGenerator) => new PoissonSampler({ datasetSize: 10, sampleRate: 0.3, rng }),
  shuffle: (rng: RandomGenerator) => new ShuffleSampler({ datasetSize: 10, batchSize: 3, rng }),
  cyclic: (rng: RandomGenerator) => new CyclicSampler({ datasetSize: 10, batchSize: 3, rng }),
  ballsInBins: (rng: RandomGenerator) => new BallsInBinsSampler({ datasetSize: 10, binCount: 3, rng }),
  cyclicPoisson: (rng: RandomGenerator) =>
    new CyclicPoissonSampler({ datasetSize: 10, bands: 2, sampleRate: 0.5, rng }),
};

describe('generators and samplers declare whether their randomness is secure', () => {
  it('SecureRandom declares itself secure, SeededRandom does not', () => {
    expect(new SecureRandom().isSecure).toBe(true);
    expect(SeededRandom.fromSeed(1).isSecure).toBe(false);
  });

  it.each(Object.entries(samplers))('%s: secure with SecureRandom, seeded with SeededRandom', (_, make) => {
    expect(make(new SecureRandom()).randomness).toBe('secure');
    expect(make(SeededRandom.fromSeed(3)).randomness).toBe('seeded');
  });

  it('a cyclic sampler without a generator makes no random choice', () => {
    expect(new CyclicSampler({ datasetSize: 10, batchSize: 3 }).randomness).toBe('none');
  });

  it('a generator that does not declare isSecure: true counts as seeded', () => {
    const seeded = SeededRandom.fromSeed(5);
    const undeclared = {
      nextUint32: () => seeded.nextUint32(),
      nextFloat64: () => seeded.nextFloat64(),
      nextInt: (a: number, b: number) => seeded.nextInt(a, b),
      fillUint32: (out: Uint32Array) => seeded.fillUint32(out),
    } as unknown as RandomGenerator;
    expect(randomnessOf(undeclared)).toBe('seeded');
    expect(new CyclicSampler({ datasetSize: 10, batchSize: 3, rng: undeclared }).randomness).toBe('seeded');
  });
});
