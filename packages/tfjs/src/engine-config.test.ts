import '@tensorflow/tfjs-backend-cpu';
import {
  CyclicPoissonSampler,
  CyclicSampler,
  PoissonSampler,
  SeededRandom,
  ShuffleSampler,
} from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { computeClippedGradients } from './compute-clipped-gradients';
import { normaliseOptions } from './engine-config';
import { OPTION_ALIASES } from './engine-options';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = separableTask(32, 3);
const good = {
  model: classifier(),
  lossFn: crossEntropy,
  data,
  epochs: 2,
  batchSize: 8,
  targetEpsilon: 4,
  targetDelta: 1e-5,
  maxGradNorm: 1,
  mode: 'BLT',
  seed: 1,
};

function make(overrides: Record<string, unknown>, remove: string[] = []) {
  const options: Record<string, unknown> = { ...good, ...overrides };
  for (const key of remove) delete options[key];
  // biome-ignore lint/suspicious/noExplicitAny: deliberately bad options
  return () => new PrivacyEngine().makePrivateWithEpsilon(options as any);
}

describe('bad configurations name the option and the allowed values', () => {
  it.each([
    [
      'unknown mode',
      { mode: 'DP-SGD' },
      /mode must be one of 'DP-SGD-BASE', 'DP-SGD-AMPLIFIED', 'BLT', .*got "DP-SGD"/,
    ],
    ['negative epsilon', { targetEpsilon: -1 }, /targetEpsilon must be a finite number in \(0, .*got -1/],
    ['zero epsilon', { targetEpsilon: 0 }, /targetEpsilon must be a finite number in \(0, /],
    ['delta >= 1', { targetDelta: 1 }, /targetDelta must be a finite number in \(0, 1\), got 1/],
    ['delta <= 0', { targetDelta: 0 }, /targetDelta must be a finite number in \(0, 1\), got 0/],
    [
      'b > steps',
      { minSeparation: 9 },
      /minSeparation \(b\) must be at most the number of steps n = 8, got 9/,
    ],
    [
      'b > separation the sampler gives',
      { minSeparation: 5 },
      /minSeparation \(b\) must be at most 4: the cyclic sampler/,
    ],
    ['k < 1', { maxParticipations: 0 }, /maxParticipations \(k\) must be an integer in \[1, .*got 0/],
    ['k < epochs', { maxParticipations: 1 }, /maxParticipations \(k\) must be at least epochs \(2\)/],
    ['d out of range', { bufferCount: 17 }, /bufferCount \(d\) must be an integer in \[1, 16\], got 17/],
    [
      'unknown participation',
      { participation: 'random' },
      /participation must be one of 'streaming', 'cyclic', 'minSep'/,
    ],
    ['unknown errorType', { errorType: 'mse' }, /errorType must be one of 'rmse', 'max', got "mse"/],
    ['bad lossReduction', { lossReduction: 'avg' }, /lossReduction must be one of 'mean', 'sum'/],
    [
      'unknown perExampleMethod',
      { perExampleMethod: 'mixed' },
      /perExampleMethod must be one of 'bookkeeping', 'ghost', 'mixed-ghost', 'materialized', 'loop', got "mixed"/,
    ],
    ['epochs 0', { epochs: 0 }, /epochs must be an integer in \[1, /],
    ['gamma missing', { mode: 'Single Parameter' }, /option 'gamma' is required by mode 'Single Parameter'/],
    ['gamma 1', { mode: 'Single Parameter', gamma: 1 }, /gamma must be a finite number in \[0, 1\)/],
    [
      'adaptive with several norms',
      { clipping: 'adaptive', maxGradNorm: [1, 1] },
      /clipping 'adaptive' needs one maxGradNorm number \(the initial threshold\)/,
    ],
    [
      'adaptive clipping with a clippedGradients provider',
      {
        clipping: 'adaptive',
        clippedGradients: { compute: async () => Promise.reject(new Error('unused')) },
      },
      /clippedGradients cannot be combined with clipping 'adaptive'/,
    ],
    [
      'adaptive settings without adaptive clipping',
      { adaptiveClipping: { learningRate: 0.1 } },
      /adaptiveClipping applies to clipping 'adaptive' only/,
    ],
    [
      'adaptive quantile 1',
      { clipping: 'adaptive', adaptiveClipping: { targetUnclippedQuantile: 1 } },
      /adaptiveClipping.targetUnclippedQuantile must be a finite number in \(0, 1\), got 1/,
    ],
    [
      'adaptive learning rate 0',
      { clipping: 'adaptive', adaptiveClipping: { clipbound_learning_rate: 0 } },
      /adaptiveClipping.learningRate must be a finite number in \(0, /,
    ],
    [
      'adaptive count noise negative',
      { clipping: 'adaptive', adaptiveClipping: { countNoiseStddev: -1 } },
      /adaptiveClipping.countNoiseStddev must be a finite number in \(0, .*got -1/,
    ],
    [
      'adaptive count noise twice',
      { clipping: 'adaptive', adaptiveClipping: { countNoiseStddev: 1, countNoiseMultiplier: 2 } },
      /give countNoiseStddev or countNoiseMultiplier/,
    ],
    [
      'adaptive alias twice',
      { clipping: 'adaptive', adaptiveClipping: { unclipped_num_std: 1, countNoiseStddev: 1 } },
      /adaptiveClipping.countNoiseStddev is given twice/,
    ],
    [
      'adaptive unknown setting',
      { clipping: 'adaptive', adaptiveClipping: { quantile: 0.5 } },
      /unknown adaptiveClipping setting 'quantile'/,
    ],
    [
      'adaptive bounds crossed',
      { clipping: 'adaptive', adaptiveClipping: { minThreshold: 2, maxThreshold: 1 } },
      /minThreshold \(2\) must be at most adaptiveClipping.maxThreshold \(1\)/,
    ],
    [
      'adaptive initial threshold outside the bounds',
      { clipping: 'adaptive', adaptiveClipping: { min_clipbound: 0.1, max_clipbound: 0.5 } },
      /maxGradNorm, the initial threshold of adaptive clipping, must be in \[minThreshold, maxThreshold\] = \[0.1, 0.5\], got 1/,
    ],
    [
      'adaptive count noise too small for the budget',
      { clipping: 'adaptive', adaptiveClipping: { countNoiseStddev: 0.01 } },
      /countNoiseMultiplier \(0.02, twice countNoiseStddev\) is too small: .*targetEpsilon 4 at targetDelta 0.00001/,
    ],
    ['noise multiplier with epsilon', { noiseMultiplier: 1 }, /remove noiseMultiplier/],
    ['typo', { epoch: 2 }, /unknown option 'epoch'/],
    ['alias twice', { d: 2, bufferCount: 2 }, /option 'bufferCount' is given twice/],
    [
      'bands not a number',
      { mode: 'Amplified-BandMF', bands: '2' },
      /bands must be an integer >= 1 or 'auto', got 2/,
    ],
    [
      'bands with p > 1',
      { mode: 'Amplified-BandMF', bands: 5 },
      /bands must be an integer in \[1, 4\], got 5/,
    ],
    [
      'bands on a Toeplitz mode',
      { bands: 'auto' },
      /bands applies to the amplified banded MF modes .*not to 'BLT'/,
    ],
    [
      'participation with a banded mode',
      { mode: 'Amplified-BandMF', participation: 'cyclic' },
      /participation applies to the modes without amplification/,
    ],
    [
      'bands contradicting the sampler',
      {
        mode: 'Amplified-BandMF',
        bands: 2,
        batchSize: undefined,
        sampler: new CyclicPoissonSampler({
          datasetSize: 32,
          bands: 4,
          sampleRate: 0.5,
          rng: SeededRandom.fromSeed(2),
        }),
      },
      /bands \(2\) contradicts the sampler given, which has 4 bands/,
    ],
  ])('%s', (_name, overrides, message) => {
    expect(make(overrides)).toThrow(message);
  });

  it.each([
    ['mode', /option 'mode' is required/],
    ['epochs', /option 'epochs' is required/],
    ['maxGradNorm', /option 'maxGradNorm' is required/],
    ['targetEpsilon', /option 'targetEpsilon' is required/],
    ['targetDelta', /option 'targetDelta' is required/],
    ['data', /option 'data' or 'datasetSize' is required/],
    ['batchSize', /option 'batchSize' is required .* or 'minSeparation'/],
  ])('missing %s', (name, message) => {
    expect(make({}, [name])).toThrow(message);
  });

  it('makePrivate needs the noise multiplier', () => {
    const { targetEpsilon: _, targetDelta: __, ...rest } = good;
    // biome-ignore lint/suspicious/noExplicitAny: deliberately missing option
    expect(() => new PrivacyEngine().makePrivate(rest as any)).toThrow(
      /option 'noiseMultiplier' is required/,
    );
  });
});

describe('combinations whose accounting would not hold are refused with the reason', () => {
  it('correlated modes refuse Poisson sampling (no separation between participations)', () => {
    expect(make({ poissonSampling: true })).toThrow(
      /needs the cyclic sampler.*Poisson sampling gives no separation/,
    );
  });
  it('DP-SGD-AMPLIFIED needs Poisson sampling', () => {
    expect(make({ mode: 'DP-SGD-AMPLIFIED', poissonSampling: false })).toThrow(
      /poissonSampling must be true/,
    );
  });
  it('Multi-Epoch modes refuse streaming', () => {
    expect(make({ mode: 'Multi-Epoch-BLT', participation: 'streaming' })).toThrow(/'cyclic' or 'minSep'/);
  });
  it('a data pipeline is not sampled from directly: it goes to fit, which reads it and samples itself', () => {
    const dataset = { iterator: async () => ({}), batch: () => dataset };
    expect(make({ data: dataset })).toThrow(/cannot read a tf.data.Dataset.*draws every batch itself/);
  });
  it('secure mode takes no seed', () => {
    expect(make({ secureMode: true })).toThrow(/accepts no seed/);
  });
  it('per-layer norms must cover exactly the trainable layers', () => {
    expect(make({ maxGradNorm: [1, 1] })).toThrow(/one norm per trainable layer \(1: /);
    expect(make({ maxGradNorm: { nope: 1 } })).toThrow(/no norm for trainable layer/);
  });
});

describe('a sampler given by the caller', () => {
  const rng = () => SeededRandom.fromSeed(5);
  const { batchSize: _, ...noBatch } = good;
  const withSampler = (sampler: unknown, mode = 'BLT') =>
    // biome-ignore lint/suspicious/noExplicitAny: deliberately loose options
    new PrivacyEngine().makePrivateWithEpsilon({ ...noBatch, mode, sampler } as any);
  it('correlated modes refuse shuffling and Poisson sampling, saying why', () => {
    expect(() => withSampler(new ShuffleSampler({ datasetSize: 32, batchSize: 8, rng: rng() }))).toThrow(
      /shuffle sampler gives none: an example can be in the last batch of one epoch and the first of the next/,
    );
    expect(() => withSampler(new PoissonSampler({ datasetSize: 32, sampleRate: 0.25, rng: rng() }))).toThrow(
      /Poisson sampling gives no separation/,
    );
  });
  it('a cyclic sampler is used as it is, with its own separation', () => {
    const sampler = new CyclicSampler({ datasetSize: 32, batchSize: 8, rng: rng() });
    const trainer = withSampler(sampler, 'Multi-Epoch-BLT');
    expect(trainer.sampler).toBe(sampler);
    expect(trainer.report.run).toEqual({
      datasetSize: 32,
      batchSize: 8,
      stepsPerEpoch: 4,
      epochs: 2,
      totalSteps: 8,
    });
  });
  it('DP-SGD-BASE accepts shuffling (one participation per epoch): sensitivity sqrt(epochs)', () => {
    const trainer = withSampler(
      new ShuffleSampler({ datasetSize: 32, batchSize: 8, rng: rng() }),
      'DP-SGD-BASE',
    );
    expect(trainer.report.sensitivity).toBeCloseTo(Math.SQRT2, 15);
  });
  it('DP-SGD-AMPLIFIED takes its rate from a Poisson sampler and refuses any other', () => {
    const trainer = withSampler(
      new PoissonSampler({ datasetSize: 32, sampleRate: 0.25, rng: rng() }),
      'DP-SGD-AMPLIFIED',
    );
    expect(trainer.report.run.totalSteps).toBe(8);
    expect(() =>
      withSampler(new CyclicSampler({ datasetSize: 32, batchSize: 8 }), 'DP-SGD-AMPLIFIED'),
    ).toThrow(/the sampler must be a PoissonSampler, got participation 'cyclic'/);
  });
  it('refuses a sampler over another dataset or already advanced', () => {
    expect(() => withSampler(new CyclicSampler({ datasetSize: 33, batchSize: 8 }))).toThrow(
      /sampler.datasetSize must be the number of examples in data \(32\), got 33/,
    );
    const used = new CyclicSampler({ datasetSize: 32, batchSize: 8 });
    used.nextBatch();
    expect(() => withSampler(used)).toThrow(/sampler must be at step 0/);
  });
});

describe('option names', () => {
  it('maps every alias of the original library to an engine option', () => {
    expect(OPTION_ALIASES).toMatchObject({ d: 'bufferCount', b: 'minSeparation', k: 'maxParticipations' });
    for (const [alias, name] of Object.entries(OPTION_ALIASES)) {
      expect(normaliseOptions({ [alias]: 1 })).toEqual({ [name]: 1 });
    }
  });
  it('derives the batch size from b when no batch size is given', () => {
    const { batchSize: _, ...rest } = good;
    // biome-ignore lint/suspicious/noExplicitAny: aliases are not in the option type
    const trainer = new PrivacyEngine().makePrivateWithEpsilon({ ...rest, b: 4, k: 2 } as any);
    expect(trainer.report.run).toEqual({
      datasetSize: 32,
      batchSize: 8,
      stepsPerEpoch: 4,
      epochs: 2,
      totalSteps: 8,
    });
  });
});

describe('reportTrainingLoss', () => {
  it('false neither computes nor reports the training loss, and trains the same', async () => {
    const run = (reportTrainingLoss: boolean) =>
      new PrivacyEngine().makePrivateWithEpsilon({
        ...good,
        model: classifier(),
        mode: 'BLT',
        reportTrainingLoss,
      } as never);
    const silent = run(false);
    const loud = run(true);
    expect(silent.report.reportTrainingLoss).toBe(false);
    expect(loud.report.reportTrainingLoss).toBe(true);
    const batchLosses: number[] = [];
    expect(Number.isNaN(silent.step())).toBe(true);
    expect(Number.isFinite(loud.step())).toBe(true);
    const history = await silent.fit({
      epochs: 1,
      callbacks: { onBatchEnd: (_batch, logs) => void batchLogs(batchLosses, logs.loss) },
    });
    await loud.fit({ epochs: 1 });
    expect(batchLosses.length).toBeGreaterThan(0);
    expect(batchLosses.every(Number.isNaN)).toBe(true);
    expect(history.loss.every(Number.isNaN)).toBe(true);
    const weights = (t: typeof silent) => t.exportState().weights.map((w) => w.values);
    expect(weights(silent)).toEqual(weights(loud));
    expect(make({ reportTrainingLoss: 'no' })).toThrow(/reportTrainingLoss must be a boolean, got no/);
    // The clipped sums are the same without the loss, which is NaN (never formed).
    const batch = { x: tf.slice(data.x, 0, 8), y: tf.slice(data.y, 0, 8) };
    const clip = (computeLoss: boolean) =>
      computeClippedGradients({
        model: classifier(),
        lossFn: crossEntropy,
        ...batch,
        maxGradNorm: 1,
        computeLoss,
      });
    const without = clip(false);
    const withLoss = clip(true);
    expect(Number.isNaN(without.loss.dataSync()[0])).toBe(true);
    expect(Number.isFinite(withLoss.loss.dataSync()[0])).toBe(true);
    expect([...without.gradients.values()].map((g) => g.dataSync())).toEqual(
      [...withLoss.gradients.values()].map((g) => g.dataSync()),
    );
  });
});

function batchLogs(into: number[], loss: number): void {
  into.push(loss);
}
