import '@tensorflow/tfjs-backend-cpu';
import type { ModeName } from '@cnm/optim';
import { CorrelatedNoise } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { base, ENGINE_RUN, modes, weightsOf } from '../test/engine-runs';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { AdaptiveClipNormState } from './clipping';
import { computeClippedGradients } from './compute-clipped-gradients';
import type { MakePrivateWithEpsilonOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { data } = ENGINE_RUN;

describe('adaptive clipping in the engine', () => {
  function adaptive(mode: ModeName): MakePrivateWithEpsilonOptions {
    return {
      ...base(mode),
      clipping: 'adaptive',
      // 2σ_b = 8 against √4 / σ for 4 epochs: the counts take a small share of the budget.
      adaptiveClipping: { countNoiseStddev: 4, targetUnclippedQuantile: 0.5 },
    };
  }

  it.each(modes)(
    '%s accepts adaptive clipping and reaches accuracy >= 0.9 within the budget',
    async (mode) => {
      const trainer = new PrivacyEngine().makePrivateWithEpsilon(adaptive(mode));
      const thresholds: number[] = [trainer.maxGradNorm];
      const history = await trainer.fit({
        callbacks: { onBatchEnd: (_b, _l, t) => void thresholds.push(t.maxGradNorm) },
      });
      expect(history.reason).toBe('completed');
      expect(trainer.evaluate(data).accuracy).toBeGreaterThanOrEqual(0.9);
      expect(trainer.getEpsilon()).toBeLessThanOrEqual(8);
      expect(trainer.exportState().adaptiveClipping?.updates).toBe(16);
      expect(new Set(thresholds).size).toBe(17); // the threshold moved at every step
    },
  );

  it('the threshold moves to the target quantile of fixed per-example norms (learning rate 0, tiny count noise)', async () => {
    const model = classifier(3);
    const fixed = computeClippedGradients({
      model,
      lossFn: crossEntropy,
      x: data.x,
      y: data.y,
      maxGradNorm: 1e9,
    });
    const norms = Array.from(fixed.perExampleNorms.dataSync()).sort((a, b) => a - b);
    tf.dispose([
      ...fixed.gradients.values(),
      fixed.perExampleNorms,
      fixed.perLayerNorms,
      fixed.clipFactors,
      fixed.loss,
    ]);
    const fractionBelow = (c: number) => norms.filter((n) => n <= c).length / norms.length;
    for (const [start, quantile] of [
      [100 * (norms.at(-1) as number), 0.3],
      [(norms[0] as number) / 100, 0.7],
    ] as const) {
      const trainer = new PrivacyEngine().makePrivate({
        model,
        lossFn: crossEntropy,
        data,
        epochs: 40,
        batchSize: 16,
        noiseMultiplier: 0,
        maxGradNorm: start,
        learningRate: 0, // weights, hence norms, stay fixed
        mode: 'DP-SGD-BASE',
        clipping: 'adaptive',
        adaptiveClipping: { targetUnclippedQuantile: quantile, countNoiseStddev: 1e-6 },
        seed: 8,
      });
      const logThresholds: number[] = [];
      for (let t = 0; t < trainer.totalSteps; t++) {
        trainer.step();
        if (t >= 120) logThresholds.push(Math.log(trainer.maxGradNorm));
      }
      const typical = Math.exp(logThresholds.reduce((a, b) => a + b, 0) / logThresholds.length);
      expect(Math.abs(fractionBelow(typical) - quantile)).toBeLessThan(0.1);
    }
  });

  it("adds noise σ_grad · C_t · sens · (C⁻¹z)_t with C_t the step's threshold (zero gradients)", () => {
    const zeroLoss = (_y: tf.Tensor, p: tf.Tensor) => tf.mul(tf.sum(p, -1), 0);
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: zeroLoss,
      data,
      epochs: 2,
      batchSize: 16,
      noiseMultiplier: 1,
      maxGradNorm: 2,
      learningRate: 1,
      mode: 'BLT',
      clipping: 'adaptive',
      adaptiveClipping: { countNoiseStddev: 10, learningRate: 0.5 },
      seed: 7,
    });
    const { optimizer, report } = trainer;
    const reference = new CorrelatedNoise({
      strategy: optimizer.noise.strategy,
      size: optimizer.parameterCount,
      noiseMultiplier: trainer.gradientNoiseMultiplier,
      maxGradNorm: 2,
      sensitivity: report.noiseSensitivity,
      random: { seed: 7 },
    });
    const flatWeights = () => Float64Array.from(optimizer.variables.flatMap((v) => Array.from(v.dataSync())));
    for (let t = 0; t < 6; t++) {
      const threshold = trainer.maxGradNorm;
      const before = flatWeights();
      trainer.step();
      const move = flatWeights().map((w, i) => w - (before[i] as number));
      const noise = reference.next(threshold);
      move.forEach((m, i) => {
        expect(m).toBeCloseTo(-(noise[i] as number) / 16, 5);
      });
      // Every gradient is 0, hence unclipped: the threshold shrinks (2σ_b = 20 keeps the count close).
      expect(trainer.maxGradNorm).toBeLessThan(threshold);
    }
  });

  it('the count noise comes from the run seed: same seed same thresholds, another seed others', async () => {
    const thresholdsOf = async (seed: number) => {
      const trainer = new PrivacyEngine().makePrivateWithEpsilon({ ...adaptive('BLT'), seed, epochs: 1 });
      const out: number[] = [];
      await trainer.fit({ callbacks: { onBatchEnd: (_b, _l, t) => void out.push(t.maxGradNorm) } });
      return out;
    };
    const a = await thresholdsOf(21);
    expect(await thresholdsOf(21)).toEqual(a);
    expect(await thresholdsOf(22)).not.toEqual(a);
  });

  it.each([
    ['BLT-Adam', {}],
    ['DP-SGD-AMPLIFIED', { perExampleMethod: 'ghost', physicalBatchSize: 5 }],
    ['Multi-Epoch-BLT', { perExampleMethod: 'materialized', momentum: 0.5 }],
  ] as const)('%s %j: stop, save, load, resume = uninterrupted run, bit for bit', async (mode, extra) => {
    const options = { ...adaptive(mode), ...extra };
    const straight = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
    await straight.fit();
    const first = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
    await first.fit({ epochs: 2 });
    const saved = first.exportState();
    expect(saved.adaptiveClipping?.maxGradNorm).toBe(first.maxGradNorm);
    const bytes = await encodeCheckpoint(saved);
    const resumed = new PrivacyEngine().makePrivateWithEpsilon({
      ...options,
      model: classifier(3),
      seed: 999,
    });
    resumed.restoreState(await decodeCheckpoint(bytes));
    expect(resumed.maxGradNorm).toBe(first.maxGradNorm);
    await resumed.fit();
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    expect(resumed.maxGradNorm).toBe(straight.maxGradNorm);
    expect(resumed.exportState().adaptiveClipping).toEqual(straight.exportState().adaptiveClipping);
    expect(resumed.getEpsilon()).toBe(straight.getEpsilon());
  });

  it('refuses a checkpoint without the adaptive state, or of other adaptive settings', async () => {
    const first = new PrivacyEngine().makePrivateWithEpsilon(adaptive('BLT'));
    first.step();
    const state = first.exportState();
    const adaptiveState = state.adaptiveClipping as AdaptiveClipNormState;
    const twin = new PrivacyEngine().makePrivateWithEpsilon(adaptive('BLT'));
    const { adaptiveClipping: _, ...without } = state;
    expect(() => twin.restoreState(without)).toThrow(/must hold the adaptive clipping state/);
    expect(() => twin.restoreState({ ...state, adaptiveClipping: { ...adaptiveState, updates: 0 } })).toThrow(
      /adaptive clipping updates differ/,
    );
    const other = new PrivacyEngine().makePrivateWithEpsilon({
      ...adaptive('BLT'),
      adaptiveClipping: { countNoiseStddev: 4, targetUnclippedQuantile: 0.6 },
    });
    expect(() => other.restoreState(state)).toThrow(/does not match this run: clipping/);
    const flat = new PrivacyEngine().makePrivateWithEpsilon(base('BLT'));
    expect(() => flat.restoreState(state)).toThrow(/does not match this run/);
    expect(twin.steps).toBe(0);
  });

  it('an empty Poisson batch still releases its count; secure mode draws it securely', () => {
    const trainer = new PrivacyEngine({ secureMode: true }).makePrivate({
      model: classifier(),
      lossFn: crossEntropy,
      data: separableTask(4, 1),
      epochs: 3,
      batchSize: 1,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'DP-SGD-AMPLIFIED',
      accountant: 'rdp',
      clipping: 'adaptive',
      adaptiveClipping: { countNoiseStddev: 2 },
    });
    for (let i = 0; i < trainer.totalSteps; i++) trainer.step();
    const state = trainer.exportState().adaptiveClipping;
    expect(state?.updates).toBe(12);
    expect(state?.random).toBeNull();
  });
});
