import type { ModeName } from '@cnm/optim';
import { SeededRandom, ShuffleSampler } from '@cnm/sampler';
import { PrivacyEngine } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { createUnet } from '../models/classifiers';
import { yieldToEventLoop } from '../train/non-private';
import { perExamplePixelCrossEntropy } from '../train/tensors';
import { evaluateSegmentation, type SegmentationScores } from './segmentation-metrics';

/** Images and masks of one split, `[N, 64, 64, 1]` each. */
export interface SegmentationSplit {
  /** Images. */
  readonly x: tf.Tensor4D;
  /** Binary masks. */
  readonly y: tf.Tensor4D;
}

/** What every U-Net run shares. */
export interface UnetRunSettings {
  /** Training images. */
  readonly train: SegmentationSplit;
  /** Held-out images that choose the learning rate. */
  readonly validation: SegmentationSplit;
  /** Held-out images of the reported scores (never used for a choice). */
  readonly test: SegmentationSplit;
  /** Epochs. */
  readonly epochs: number;
  /** (Expected) batch size. */
  readonly batchSize: number;
  /** Seed of the initialisation, the sampling and the noise. */
  readonly seed: number;
  /** Called after every step (progress display). */
  readonly onStep?: (step: number, totalSteps: number, loss: number) => void;
}

/** One trained U-Net, scored on both held-out splits. */
export interface UnetRunResult {
  /** SGD learning rate. */
  readonly learningRate: number;
  /** Target ε, or null for non-private training. */
  readonly targetEpsilon: number | null;
  /** ε spent after the last step (the engine accountant's), or null for non-private training. */
  readonly epsilon: number | null;
  /** δ of the accounting, or null. */
  readonly delta: number | null;
  /** Noise multiplier calibrated by the engine, or null. */
  readonly noiseMultiplier: number | null;
  /** Steps taken. */
  readonly steps: number;
  /** Training wall time, seconds (evaluation excluded). */
  readonly trainSeconds: number;
  /** Mean Dice and IoU on the validation images. */
  readonly validation: SegmentationScores;
  /** Mean Dice and IoU on the test images. */
  readonly test: SegmentationScores;
}

/** The model every run starts from: the comparison's U-Net with seeded Glorot initialisation. */
export function initialUnet(seed: number) {
  return createUnet({ seed: seed + 1 });
}

function scored(
  model: ReturnType<typeof createUnet>,
  settings: UnetRunSettings,
): Pick<UnetRunResult, 'validation' | 'test'> {
  return {
    validation: evaluateSegmentation(model, settings.validation.x, settings.validation.y),
    test: evaluateSegmentation(model, settings.test.x, settings.test.y),
  };
}

/** Scores of the untrained U-Net (the starting point of every run). */
export function untrainedScores(settings: UnetRunSettings): Pick<UnetRunResult, 'validation' | 'test'> {
  const model = initialUnet(settings.seed);
  try {
    return scored(model, settings);
  } finally {
    model.dispose();
  }
}

/**
 * Non-private training: shuffled batches (the last partial one dropped), mean per-pixel sigmoid cross-entropy,
 * the ordinary tfjs gradient, plain SGD.
 */
export async function trainUnetNonPrivate(
  settings: UnetRunSettings,
  learningRate: number,
): Promise<UnetRunResult> {
  const { train, batchSize, epochs } = settings;
  const count = train.x.shape[0];
  const model = initialUnet(settings.seed);
  const optimizer = tf.train.sgd(learningRate);
  const sampler = new ShuffleSampler({
    datasetSize: count,
    batchSize,
    rng: SeededRandom.fromSeed(settings.seed),
  });
  const totalSteps = Math.floor(count / batchSize) * epochs;
  let trainMs = 0;
  try {
    for (let step = 1; step <= totalSteps; step += 1) {
      const indices = sampler.nextBatch();
      const start = performance.now();
      const loss = tf.tidy(() => {
        const batch = tf.tensor1d(indices, 'int32');
        const x = tf.gather(train.x, batch);
        const y = tf.gather(train.y, batch);
        return optimizer.minimize(
          () => tf.mean(perExamplePixelCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor)),
          true,
        )!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      trainMs += performance.now() - start;
      if (!Number.isFinite(value)) throw new Error(`training diverged: loss ${value} at step ${step}`);
      settings.onStep?.(step, totalSteps, value);
      await yieldToEventLoop();
    }
    return {
      learningRate,
      targetEpsilon: null,
      epsilon: null,
      delta: null,
      noiseMultiplier: null,
      steps: totalSteps,
      trainSeconds: trainMs / 1000,
      ...scored(model, settings),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Settings of a private run beyond {@link UnetRunSettings}. */
export interface PrivateUnetSettings {
  /** Engine mode. */
  readonly mode: ModeName;
  /** Target ε of the whole run. */
  readonly targetEpsilon: number;
  /** δ. */
  readonly delta: number;
  /** Clip norm C. */
  readonly clipNorm: number;
  /** Examples per physical chunk (same gradients, bounded memory). */
  readonly physicalBatchSize: number;
}

/**
 * Private training with `PrivacyEngine.makePrivateWithEpsilon` (noise calibrated so that the whole planned run
 * spends at most the target ε), the engine's default book-keeping clipping, one `step()` at a time.
 */
export async function trainUnetPrivate(
  settings: UnetRunSettings,
  privacy: PrivateUnetSettings,
  learningRate: number,
): Promise<UnetRunResult> {
  const model = initialUnet(settings.seed);
  try {
    const trainer = new PrivacyEngine({ secureMode: false }).makePrivateWithEpsilon({
      model,
      lossFn: perExamplePixelCrossEntropy,
      data: { x: settings.train.x, y: settings.train.y },
      epochs: settings.epochs,
      mode: privacy.mode,
      batchSize: settings.batchSize,
      maxGradNorm: privacy.clipNorm,
      learningRate,
      targetEpsilon: privacy.targetEpsilon,
      targetDelta: privacy.delta,
      physicalBatchSize: privacy.physicalBatchSize,
      seed: settings.seed,
    });
    const totalSteps = trainer.totalSteps;
    let trainMs = 0;
    for (let step = 1; step <= totalSteps; step += 1) {
      const start = performance.now();
      const loss = trainer.step();
      trainMs += performance.now() - start;
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step}`);
      settings.onStep?.(step, totalSteps, loss);
      await yieldToEventLoop();
    }
    return {
      learningRate,
      targetEpsilon: privacy.targetEpsilon,
      epsilon: trainer.getEpsilon(privacy.delta),
      delta: privacy.delta,
      noiseMultiplier: trainer.report.noiseMultiplier,
      steps: totalSteps,
      trainSeconds: trainMs / 1000,
      ...scored(model, settings),
    };
  } finally {
    model.dispose();
  }
}
