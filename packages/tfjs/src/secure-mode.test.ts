import '@tensorflow/tfjs-backend-cpu';
import {
  BallsInBinsSampler,
  type BatchSampler,
  CyclicSampler,
  PoissonSampler,
  SecureRandom,
  SeededRandom,
  ShuffleSampler,
} from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { AdaptiveClipNorm } from './clipping';
import type { MakePrivateOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';
import { assertSecureRun } from './secure-mode';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = separableTask(64, 7);

function options(
  sampler: BatchSampler | undefined,
  mode: MakePrivateOptions['mode'] = 'BLT',
): MakePrivateOptions {
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data,
    epochs: 2,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode,
    // The batch size follows from a sampler given.
    ...(sampler === undefined ? { batchSize: 16 } : { sampler }),
  };
}

describe('secure mode is all or nothing', () => {
  it('refuses a CyclicSampler built with a SeededRandom', () => {
    const seeded = new CyclicSampler({ datasetSize: 64, batchSize: 16, rng: SeededRandom.fromSeed(1) });
    expect(() => new PrivacyEngine({ secureMode: true }).makePrivate(options(seeded))).toThrow(
      /secureMode: the sampler given \(participation 'cyclic'\) draws from a generator that is not secure/,
    );
    // Per run as well as per engine.
    expect(() => new PrivacyEngine().makePrivate({ ...options(seeded), secureMode: true })).toThrow(
      /SeededRandom/,
    );
  });

  it('refuses a CyclicSampler without a generator (contiguous batches, no random choice)', () => {
    const plain = new CyclicSampler({ datasetSize: 64, batchSize: 16 });
    expect(() => new PrivacyEngine({ secureMode: true }).makePrivate(options(plain))).toThrow(
      /makes no random choice/,
    );
  });

  it('refuses seeded samplers of every kind', () => {
    const rng = () => SeededRandom.fromSeed(2);
    const secure = new PrivacyEngine({ secureMode: true });
    const poisson = new PoissonSampler({ datasetSize: 64, sampleRate: 0.25, rng: rng() });
    expect(() => secure.makePrivate(options(poisson, 'DP-SGD-AMPLIFIED'))).toThrow(/'poisson'.*not secure/);
    const shuffle = new ShuffleSampler({ datasetSize: 64, batchSize: 16, rng: rng() });
    expect(() => secure.makePrivate(options(shuffle, 'DP-SGD-BASE'))).toThrow(/'shuffle'.*not secure/);
    const bins = new BallsInBinsSampler({ datasetSize: 64, binCount: 4, rng: rng() });
    expect(() => secure.makePrivate(options(bins, 'DP-SGD-BASE'))).toThrow(/'ballsInBins'.*not secure/);
  });

  it('accepts a sampler built with a SecureRandom, and trains', () => {
    const sampler = new CyclicSampler({ datasetSize: 64, batchSize: 16, rng: new SecureRandom() });
    const trainer = new PrivacyEngine({ secureMode: true }).makePrivate(options(sampler));
    expect(trainer.sampler).toBe(sampler);
    expect(trainer.optimizer.noise.secure).toBe(true);
    expect(Number.isFinite(trainer.step())).toBe(true);
  });

  it('accepts seeded samplers outside secure mode', () => {
    const seeded = new CyclicSampler({ datasetSize: 64, batchSize: 16, rng: SeededRandom.fromSeed(1) });
    expect(new PrivacyEngine().makePrivate({ ...options(seeded), seed: 4 }).sampler).toBe(seeded);
  });

  it('adaptive clipping in secure mode draws its count noise securely', () => {
    const trainer = new PrivacyEngine({ secureMode: true }).makePrivate({
      ...options(undefined),
      clipping: 'adaptive',
    });
    expect(trainer.report.adaptiveClipping).toBeDefined();
    expect(trainer.exportState().adaptiveClipping?.random ?? null).toBeNull();
  });
});

describe('assertSecureRun', () => {
  const sampler = new CyclicSampler({ datasetSize: 8, batchSize: 2, rng: new SecureRandom() });

  it('passes when every source is secure, and names the first one that is not', () => {
    expect(() =>
      assertSecureRun({ sampler, noiseIsSecure: true, adaptiveClippingIsSecure: true }),
    ).not.toThrow();
    expect(() => assertSecureRun({ sampler, noiseIsSecure: true })).not.toThrow();
    expect(() => assertSecureRun({ sampler, noiseIsSecure: false })).toThrow(/gradient noise/);
    expect(() => assertSecureRun({ sampler, noiseIsSecure: true, adaptiveClippingIsSecure: false })).toThrow(
      /adaptive clipping/,
    );
  });

  it('AdaptiveClipNorm declares whether its count noise is secure', () => {
    const base = { initialMaxGradNorm: 1, countNoiseStddev: 1, expectedBatchSize: 10 };
    expect(new AdaptiveClipNorm(base).isSecure).toBe(true);
    expect(new AdaptiveClipNorm({ ...base, random: new SecureRandom() }).isSecure).toBe(true);
    expect(new AdaptiveClipNorm({ ...base, random: SeededRandom.fromSeed(1) }).isSecure).toBe(false);
    expect(new AdaptiveClipNorm({ ...base, gaussian: () => 0 }).isSecure).toBe(false);
  });
});
