import '@tensorflow/tfjs-backend-cpu';
import { SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { crossEntropy, separableTask } from '../test/engine-fixtures';
import { MixingIdentity } from '../test/mixing-layer';
import type { ClippedGradientsProvider } from './clipped-gradients-provider';
import { computeClippedGradients } from './compute-clipped-gradients';
import { PrivacyEngine } from './privacy-engine';
import {
  PerExampleMismatchError,
  verifyPerExampleGradients,
  verifyRunPerExample,
} from './verify-per-example';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function model(broken: boolean, dropout = false): tfl.Sequential {
  const layers: tfl.layers.Layer[] = [
    tfl.layers.dense({
      inputShape: [2],
      units: 4,
      activation: 'tanh',
      name: broken ? 'encoder_broken' : 'encoder',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  ];
  if (broken) layers.push(new MixingIdentity({ name: 'mixer' }));
  if (dropout) layers.push(tfl.layers.dropout({ rate: 0.5 }));
  layers.push(
    tfl.layers.dense({
      units: 2,
      activation: 'softmax',
      name: broken ? 'head_broken' : 'head',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  return tfl.sequential({ layers });
}

const data = separableTask(32, 5);

describe('verifyPerExampleGradients', () => {
  it('passes a correct model (engine norms equal the example-by-example ones to float rounding)', () => {
    const result = verifyRunPerExample({
      model: model(false),
      lossFn: crossEntropy,
      data,
      clipping: { mode: 'flat', maxGradNorm: 1 },
    });
    expect(result.examples).toBe(3);
    expect(result.reference).toBe('autodiff');
    expect(result.worstRelativeError).toBeLessThan(1e-5);
  });

  it('catches a weightless layer that mixes examples in its backward, and names where it is', () => {
    const broken = model(true);
    let caught: unknown;
    try {
      verifyRunPerExample({
        model: broken,
        lossFn: crossEntropy,
        data,
        clipping: { mode: 'flat', maxGradNorm: 1 },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PerExampleMismatchError);
    const error = caught as PerExampleMismatchError;
    // The layer before the mixer is wrong, the one after it is right: the bisection points at the mixer.
    expect(error.mismatchedLayers).toEqual(['encoder_broken']);
    expect(error.suspects).toEqual(['"encoder_broken" (Dense)', '"mixer" (MixingIdentity)']);
    expect(error.worstRelativeError).toBeGreaterThan(1e-3);
    expect(error.message).toMatch(/"mixer" \(MixingIdentity\)/);
    expect(error.message).toMatch(/verifyPerExample: false/);
  });

  it('the batched engine result really is wrong there (what the check protects against)', () => {
    // Compare the whole-gradient norm of example 0 in a batch of 3 with the same example alone.
    const broken = model(true);
    const norms = (size: number) =>
      tf.tidy(() => {
        const result = computeClippedGradients({
          model: broken,
          lossFn: crossEntropy,
          x: tf.slice(data.x, 0, size),
          y: tf.slice(data.y, 0, size),
          maxGradNorm: 1,
        });
        return result.perExampleNorms.dataSync()[0]!;
      });
    expect(Math.abs(norms(3) - norms(1)) / norms(1)).toBeGreaterThan(1e-2);
  });

  it('runs stochastic layers as at inference: a model with dropout passes and draws no randomness', () => {
    const spy = vi.spyOn(Math, 'random');
    const calls = spy.mock.calls.length;
    const result = verifyRunPerExample({
      model: model(false, true),
      lossFn: crossEntropy,
      data,
      clipping: { mode: 'flat', maxGradNorm: 1 },
    });
    expect(result.worstRelativeError).toBeLessThan(1e-5);
    expect(spy.mock.calls.length).toBe(calls);
  });

  it('refuses fewer than 2 examples and a tolerance <= 0', () => {
    const options = {
      model: model(false),
      lossFn: crossEntropy,
      clipping: { mode: 'flat' as const, maxGradNorm: 1 },
    };
    expect(() =>
      verifyPerExampleGradients({ ...options, x: tf.slice(data.x, 0, 1), y: tf.slice(data.y, 0, 1) }),
    ).toThrow(/at least 2 examples/);
    expect(() => verifyPerExampleGradients({ ...options, x: data.x, y: data.y, tolerance: 0 })).toThrow(
      /tolerance must be > 0/,
    );
  });
});

describe('the first-step self-check of the engine', () => {
  const options = (m: tfl.Sequential) => ({
    model: m,
    lossFn: crossEntropy,
    data,
    epochs: 2,
    batchSize: 8,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode: 'BLT' as const,
    seed: 3,
  });

  it('refuses to train a model that mixes examples, before drawing a batch', () => {
    const trainer = new PrivacyEngine().makePrivate(options(model(true)));
    expect(() => trainer.step()).toThrow(PerExampleMismatchError);
    expect(trainer.steps).toBe(0);
    expect(trainer.sampler.step).toBe(0);
    // Nothing was drawn or applied: the same refusal again, not "a previous step failed midway".
    expect(() => trainer.step()).toThrow(PerExampleMismatchError);
  });

  it('verifyPerExample: false skips it', () => {
    const trainer = new PrivacyEngine().makePrivate({ ...options(model(true)), verifyPerExample: false });
    expect(Number.isFinite(trainer.step())).toBe(true);
    expect(trainer.steps).toBe(1);
  });

  it('refuses a non-boolean verifyPerExample', () => {
    expect(() =>
      new PrivacyEngine().makePrivate({
        ...options(model(false)),
        verifyPerExample: 'yes' as unknown as boolean,
      }),
    ).toThrow(/verifyPerExample must be a boolean/);
  });

  it('checks on this thread before a clippedGradients provider (worker pool) is asked anything', async () => {
    const compute = vi.fn<ClippedGradientsProvider['compute']>(async (request) => {
      const index = tf.tensor1d(Array.from(request.indices), 'int32');
      const x = tf.gather(request.data.x as tf.Tensor, index);
      const y = tf.gather(request.data.y, index);
      const result = computeClippedGradients({
        model: request.model,
        lossFn: crossEntropy,
        x,
        y,
        clipping: request.clipping,
      });
      tf.dispose([index, x, y]);
      return result;
    });
    const broken = new PrivacyEngine().makePrivate({
      ...options(model(true)),
      clippedGradients: { compute },
    });
    await expect(broken.stepAsync()).rejects.toThrow(PerExampleMismatchError);
    expect(compute).not.toHaveBeenCalled();
    const correct = new PrivacyEngine().makePrivate({
      ...options(model(false)),
      clippedGradients: { compute },
    });
    await correct.stepAsync();
    await correct.stepAsync();
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('with adaptive clipping it reads the threshold and releases no count', () => {
    const trainer = new PrivacyEngine().makePrivate({
      ...options(model(false)),
      clipping: 'adaptive',
      adaptiveClipping: { countNoiseStddev: 4 },
    });
    trainer.step();
    expect(trainer.exportState().adaptiveClipping?.updates).toBe(1);
  });

  it('changes no result: the same seed gives the same weights with and without the check', async () => {
    const run = async (verifyPerExample: boolean) => {
      const trainer = new PrivacyEngine().makePrivate({ ...options(model(false, true)), verifyPerExample });
      await trainer.fit({ epochs: 1 });
      return trainer.exportState().weights.map((w) => Array.from(w.values));
    };
    // Dropout draws from Math.random: both runs start from the same generator, and the check must draw nothing.
    const reseed = () => {
      const rng = SeededRandom.fromSeed(20261123);
      vi.mocked(Math.random).mockImplementation(() => rng.nextFloat64());
    };
    reseed();
    const a = await run(true);
    reseed();
    const b = await run(false);
    expect(a).toEqual(b);
  });
});
