import '@tensorflow/tfjs-backend-cpu';
import { computeEpsilon, gaussianEpsilon, PldAccountant, RdpAccountant } from '@cnm/accountant';
import type { ModeName } from '@cnm/optim';
import { CorrelatedNoise } from '@cnm/optim';
import { CyclicSampler, type CyclicSamplerState, SeededRandom } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { AdaptiveClipNormState } from './clipping';
import { computeClippedGradients } from './compute-clipped-gradients';
import type { MakePrivateWithEpsilonOptions } from './engine-config';
import { PrivacyEngine } from './privacy-engine';
import { BudgetExceededError, type PrivateTrainer, type TrainLogs } from './private-trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = separableTask(64, 7);
const delta = 1e-5;

function base(mode: ModeName): MakePrivateWithEpsilonOptions {
  const adam = mode.endsWith('Adam');
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data,
    epochs: 4,
    batchSize: 16,
    targetEpsilon: 8,
    targetDelta: delta,
    maxGradNorm: 1,
    mode,
    learningRate: adam ? 0.1 : 0.5,
    seed: 11,
    ...(mode === 'Single Parameter' ? { gamma: 0.5 } : {}),
    // DP-AdamBC's default floor (1e-8) lets a step blow up when the noise variance exceeds the second
    // moment, which 16 noisy steps do often; a higher floor bounds the step.
    ...(adam ? { varianceFloor: 1e-4 } : {}),
    // PLD costs about half a second per evaluation: RDP keeps the suite fast, PLD is checked below.
    ...(mode === 'DP-SGD-AMPLIFIED' ? { accountant: 'rdp' as const } : {}),
  };
}

function weightsOf(trainer: PrivateTrainer): Float32Array[] {
  return trainer.exportState().weights.map((w) => w.values);
}

const modes: ModeName[] = [
  'DP-SGD-BASE',
  'DP-SGD-AMPLIFIED',
  'BLT',
  'Multi-Epoch-BLT',
  'Single Parameter',
  'BLT-Adam',
  'Multi-Epoch-BLT-Adam',
];

describe('every mode trains privately (epsilon 8, 64 separable points, 4 epochs)', () => {
  it.each(modes)('%s reaches accuracy >= 0.9 within the budget', async (mode) => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(base(mode));
    const history = await trainer.fit();
    expect(history.reason).toBe('completed');
    expect(trainer.steps).toBe(16);
    expect(trainer.evaluate(data).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(trainer.getEpsilon()).toBeLessThanOrEqual(8);
    expect(trainer.getEpsilon()).toBeGreaterThan(7.99);
  });
});

describe('noise 0 and no clipping is plain tfjs training', () => {
  it.each(['DP-SGD-BASE', 'BLT'] as const)('%s with noiseMultiplier 0 matches tf.train.sgd', async (mode) => {
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(3),
      lossFn: crossEntropy,
      data,
      epochs: 2,
      batchSize: 16,
      noiseMultiplier: 0,
      maxGradNorm: 1e9,
      mode,
      learningRate: 0.3,
      seed: 5,
    });
    // Replay the same batches with a sampler restored to the trainer's initial position.
    const replay = new CyclicSampler({ datasetSize: 64, batchSize: 16, rng: SeededRandom.fromSeed(0) });
    replay.restoreState(trainer.sampler.exportState() as CyclicSamplerState);
    await trainer.fit();
    const plain = classifier(3);
    const sgd = tf.train.sgd(0.3);
    for (let step = 0; step < 8; step++) {
      const index = tf.tensor1d(replay.nextBatch(), 'int32');
      const x = tf.gather(data.x, index);
      const y = tf.gather(data.y, index);
      sgd.minimize(() => tf.mean(crossEntropy(y, plain.apply(x) as tf.Tensor)) as tf.Scalar);
      tf.dispose([index, x, y]);
    }
    const expected = plain.getWeights().map((w) => w.dataSync());
    const actual = weightsOf(trainer);
    expect(actual.length).toBe(expected.length);
    actual.forEach((values, i) => {
      const reference = expected[i] as Float32Array;
      for (let j = 0; j < values.length; j++) {
        expect(Math.abs((values[j] as number) - (reference[j] as number))).toBeLessThan(1e-5);
      }
    });
    expect(trainer.getEpsilon(delta)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('reported epsilon equals the accountant', () => {
  it('BLT (streaming, 4 epochs): one Gaussian mechanism with sigma, at every point of the run', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(base('BLT'));
    const sigma = trainer.noiseMultiplier;
    const { report } = trainer;
    expect(report.noiseSensitivity).toBe(report.sensitivity);
    expect(report.plannedEpsilon).toBeLessThanOrEqual(8);
    await trainer.fit({ epochs: 1 });
    // After one epoch each example has participated once: sensitivity = norm of the first 4 coefficients.
    const strategy = trainer.optimizer.noise.strategy;
    const c = strategy.coefficients(4);
    const s4 = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
    const early = gaussianEpsilon({
      noiseMultiplier: (sigma * report.sensitivity) / s4,
      compositions: 1,
      delta,
    });
    expect(trainer.getEpsilon()).toBeCloseTo(early, 12);
    // The engine's 1/μ_t and the accountant's σ · noiseSensitivity / sens_t agree up to float64 rounding.
    expect(trainer.getEpsilon()).toBeCloseTo(trainer.accountant().getEpsilon(delta), 12);
    await trainer.fit();
    // σ · sens / sens is σ only up to rounding in float64.
    expect(trainer.getEpsilon()).toBeCloseTo(
      gaussianEpsilon({ noiseMultiplier: sigma, compositions: 1, delta }),
      12,
    );
    expect(trainer.accountant().getEpsilon(delta)).toBe(trainer.getEpsilon());
    expect(trainer.exportState().accountant.state).toEqual(trainer.accountant().toJSON());
  });

  it('DP-SGD-BASE: 4 participations composed, sqrt(4) / sigma', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(base('DP-SGD-BASE'));
    await trainer.fit();
    expect(trainer.report.sensitivity).toBe(2);
    expect(trainer.getEpsilon()).toBe(
      gaussianEpsilon({ noiseMultiplier: trainer.noiseMultiplier, compositions: 4, delta }),
    );
  });

  it.each(['pld', 'rdp'] as const)(
    'DP-SGD-AMPLIFIED with %s: Poisson-subsampled steps',
    async (accountant) => {
      const { targetEpsilon: _, targetDelta: __, ...options } = base('DP-SGD-AMPLIFIED');
      const trainer = new PrivacyEngine().makePrivate({ ...options, noiseMultiplier: 1.1, accountant });
      await trainer.fit({ epochs: 2 });
      expect(trainer.report.accounting).toBe(`poisson-subsampled-gaussian (${accountant})`);
      expect(trainer.getEpsilon(delta)).toBe(
        computeEpsilon({ noiseMultiplier: 1.1, sampleRate: 0.25, steps: 8, delta, accountant }),
      );
      // The checkpoint's accountant history rebuilds the same accountant.
      const rebuilt = (accountant === 'pld' ? PldAccountant : RdpAccountant).fromJSON(
        trainer.exportState().accountant.state,
      );
      expect(rebuilt.getEpsilon(delta)).toBeCloseTo(trainer.getEpsilon(delta), 10);
    },
  );
});

describe('checkpoints', () => {
  it.each(['BLT-Adam', 'DP-SGD-AMPLIFIED', 'Multi-Epoch-BLT'] as const)(
    '%s: stop, save, load into a fresh run, resume = uninterrupted run, bit for bit',
    async (mode) => {
      const options = { ...base(mode), momentum: mode === 'Multi-Epoch-BLT' ? 0.5 : 0 };
      const straight = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
      await straight.fit();

      const first = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model: classifier(3) });
      await first.fit({ epochs: 2 });
      const bytes = await encodeCheckpoint(first.exportState());

      // A fresh run with another seed and other initial weights: the checkpoint must restore everything.
      const model = classifier(3);
      model.setWeights(model.getWeights().map((w) => tf.randomNormal(w.shape, 0, 1, 'float32', 3)));
      const resumed = new PrivacyEngine().makePrivateWithEpsilon({ ...options, model, seed: 999 });
      resumed.restoreState(await decodeCheckpoint(bytes));
      expect(resumed.steps).toBe(8);
      expect(resumed.getEpsilon()).toBe(first.getEpsilon());
      await resumed.fit();
      expect(weightsOf(resumed)).toEqual(weightsOf(straight));
      expect(resumed.getEpsilon()).toBe(straight.getEpsilon());
    },
  );

  it('refuses a checkpoint of another configuration, naming the setting', async () => {
    const first = new PrivacyEngine().makePrivateWithEpsilon(base('BLT'));
    await first.fit({ epochs: 1 });
    const state = await decodeCheckpoint(await encodeCheckpoint(first.exportState()));
    const other = new PrivacyEngine().makePrivateWithEpsilon({ ...base('BLT'), targetEpsilon: 4 });
    expect(() => other.restoreState(state)).toThrow(/does not match this run: noiseMultiplier/);
    const otherMode = new PrivacyEngine().makePrivateWithEpsilon(base('DP-SGD-BASE'));
    expect(() => otherMode.restoreState(state)).toThrow(/does not match this run: mode is "BLT"/);
    expect(otherMode.steps).toBe(0);
  });
});

describe('budget', () => {
  it('stops training at the target and refuses the step that would exceed it', async () => {
    const options = { ...base('BLT'), targetEpsilon: 2, targetDelta: delta };
    const { targetEpsilon: _, ...rest } = options;
    const trainer = new PrivacyEngine().makePrivate({ ...rest, noiseMultiplier: 1, targetEpsilon: 2 });
    expect(trainer.report.plannedEpsilon).toBeGreaterThan(2);
    const budgetSteps = trainer.stepsWithinBudget;
    expect(budgetSteps).toBeGreaterThan(0);
    expect(budgetSteps).toBeLessThan(16);
    const history = await trainer.fit();
    expect(history.reason).toBe('budget');
    expect(trainer.steps).toBe(budgetSteps);
    expect(trainer.getEpsilon()).toBeLessThanOrEqual(2);
    expect(() => trainer.step()).toThrow(BudgetExceededError);
    expect(trainer.steps).toBe(budgetSteps);
    // One more step is exactly what would cross the target: compare with an unbounded run.
    const { targetDelta: __, ...free } = rest;
    const unbounded = new PrivacyEngine().makePrivate({ ...free, noiseMultiplier: 1 });
    for (let i = 0; i <= budgetSteps; i++) unbounded.step();
    expect(unbounded.getEpsilon(delta)).toBeGreaterThan(2);
  });

  it('an empty Poisson batch still takes a noisy step (skipping it would change the accounted distribution)', () => {
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: crossEntropy,
      data: separableTask(4, 1),
      epochs: 3,
      batchSize: 1,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'DP-SGD-AMPLIFIED',
      accountant: 'rdp',
      seed: 2,
    });
    let empty = 0;
    for (let i = 0; i < trainer.totalSteps; i++) {
      const before = weightsOf(trainer);
      const loss = trainer.step();
      if (Number.isNaN(loss)) {
        empty++;
        expect(weightsOf(trainer)).not.toEqual(before);
      }
    }
    expect(empty).toBeGreaterThan(0);
    expect(trainer.steps).toBe(12);
  });

  it('refuses steps beyond the planned run', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon({ ...base('DP-SGD-BASE'), epochs: 1 });
    await trainer.fit();
    expect(() => trainer.step()).toThrow(/accounting covers 4 steps/);
  });
});

describe('the noise actually added has the strategy covariance', () => {
  // Zero gradients: every update is -lr * noise / batchSize, so the noise can be read off the weights.
  const zeroLoss = (_y: tf.Tensor, p: tf.Tensor) => tf.sum(tf.mul(p, 0), -1);
  it.each([
    ['BLT', {}],
    ['Single Parameter', { gamma: 0.7 }],
    ['DP-SGD-BASE', {}],
  ] as const)('%s', (mode, extra) => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1500 })] });
    const lr = 0.1;
    const trainer = new PrivacyEngine().makePrivate({
      model,
      lossFn: zeroLoss,
      data: { x: tf.ones([8, 2]), y: tf.zeros([8, 1500]) },
      epochs: 2,
      batchSize: 2,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode,
      learningRate: lr,
      seed: 3,
      ...extra,
    });
    const n = trainer.totalSteps;
    const noise: Float32Array[] = [];
    let previous = weightsOf(trainer);
    for (let t = 0; t < n; t++) {
      trainer.step();
      const current = weightsOf(trainer);
      const flat = new Float32Array(4500);
      let offset = 0;
      current.forEach((values, i) => {
        for (let j = 0; j < values.length; j++) {
          flat[offset++] = (((previous[i] as Float32Array)[j] as number) - (values[j] as number)) * (2 / lr);
        }
      });
      noise.push(flat);
      previous = current;
    }
    const s = trainer.report.noiseSensitivity; // noiseMultiplier 1, clip 1
    const inverse = trainer.optimizer.noise.strategy.inverseCoefficients(n);
    for (let t = 0; t < n; t++) {
      for (let u = 0; u <= t; u++) {
        let expected = 0;
        for (let j = 0; j <= u; j++) expected += (inverse[t - j] as number) * (inverse[u - j] as number);
        expected *= s * s;
        let empirical = 0;
        for (let i = 0; i < 4500; i++)
          empirical += ((noise[t] as Float32Array)[i] as number) * ((noise[u] as Float32Array)[i] as number);
        empirical /= 4500;
        expect(Math.abs(empirical - expected)).toBeLessThan(0.12 * s * s);
      }
    }
  });
});

describe('callbacks and options', () => {
  it('calls Keras-style callbacks in order with loss and epsilon, and stops on request', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(base('BLT'));
    const events: string[] = [];
    const epsilons: number[] = [];
    const history = await trainer.fit({
      callbacks: {
        onTrainBegin: () => void events.push('begin'),
        onEpochBegin: (e) => void events.push(`epoch${e}`),
        onBatchEnd: (_b, logs: TrainLogs) => {
          epsilons.push(logs.epsilon);
          expect(Number.isFinite(logs.loss)).toBe(true);
        },
        onEpochEnd: (e, _logs, t) => {
          events.push(`end${e}`);
          if (e === 1) t.stopTraining = true;
        },
        onTrainEnd: (logs) => void events.push(`train-end:${logs.reason}`),
      },
    });
    expect(events).toEqual(['begin', 'epoch0', 'end0', 'epoch1', 'end1', 'train-end:stopped']);
    expect(history.reason).toBe('stopped');
    expect(trainer.steps).toBe(8);
    expect(epsilons).toHaveLength(8);
    for (let i = 1; i < epsilons.length; i++)
      expect(epsilons[i]).toBeGreaterThanOrEqual(epsilons[i - 1] as number);
  });

  it("accepts the original library's names: the quick start's d, b, k, error_type, max_grad_norm", () => {
    const { bufferCount: _, ...rest } = base('BLT');
    const long = new PrivacyEngine().makePrivateWithEpsilon({
      ...rest,
      participation: 'streaming',
      errorType: 'rmse',
      bufferCount: 2,
      minSeparation: 4,
      maxParticipations: 4,
    });
    const { maxGradNorm: __, ...noNorm } = rest;
    const aliased = new PrivacyEngine().makePrivateWithEpsilon({
      ...noNorm,
      participation: 'streaming',
      error_type: 'rmse',
      d: 2,
      b: 4,
      k: 4,
      max_grad_norm: 1,
    } as unknown as MakePrivateWithEpsilonOptions);
    expect(aliased.report).toEqual(long.report);
    expect(long.report.blt?.bufferCount).toBe(2);
  });

  it("lossReduction 'sum' divides by 1 instead of the batch size", async () => {
    const run = async (lossReduction: 'mean' | 'sum', learningRate: number) => {
      const trainer = new PrivacyEngine().makePrivate({
        ...base('BLT'),
        targetEpsilon: undefined as unknown as number,
        targetDelta: undefined as unknown as number,
        noiseMultiplier: 0.5,
        lossReduction,
        learningRate,
      });
      await trainer.fit({ epochs: 1 });
      return weightsOf(trainer);
    };
    const mean = await run('mean', 0.32);
    const sum = await run('sum', 0.02);
    mean.forEach((values, i) => {
      values.forEach((v, j) => {
        expect(Math.abs(v - ((sum[i] as Float32Array)[j] as number))).toBeLessThan(1e-5);
      });
    });
  });

  it('per-layer norms: one per trainable layer, sensitivity the root of their squares', async () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon({
      ...base('BLT'),
      model: classifier(3),
      maxGradNorm: [0.6, 0.8],
      clipping: 'per_layer',
    });
    expect(trainer.report.clipNorm).toBeCloseTo(1, 15);
    await trainer.fit();
    expect(trainer.evaluate(data).accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('secure mode: secure noise and sampling, nothing seeded', async () => {
    const { seed: _, ...options } = base('BLT');
    const trainer = new PrivacyEngine({ secureMode: true }).makePrivateWithEpsilon(options);
    expect(trainer.optimizer.noise.secure).toBe(true);
    expect(trainer.sampler.exportState().rng).toBeNull();
    trainer.step();
    expect(trainer.optimizer.exportState().noise.random).toBeNull();
    // A secure run resumes from its checkpoint (buffers and position; fresh secure draws follow).
    const resumed = new PrivacyEngine({ secureMode: true }).makePrivateWithEpsilon(options);
    resumed.restoreState(await decodeCheckpoint(await encodeCheckpoint(trainer.exportState())));
    expect(resumed.steps).toBe(1);
    expect(resumed.optimizer.exportState().noise.stream).toEqual(
      trainer.optimizer.exportState().noise.stream,
    );
    resumed.step();
    expect(() => new PrivacyEngine({ secureMode: true }).makePrivateWithEpsilon(base('BLT'))).toThrow(
      /secureMode .* accepts no seed/,
    );
  });

  it('multi-epoch streaming BLT is charged its multi-epoch sensitivity (b = steps per epoch, k = epochs)', () => {
    const trainer = new PrivacyEngine().makePrivateWithEpsilon(base('BLT'));
    const c = trainer.optimizer.noise.strategy.coefficients(16);
    // Brute force over every pattern with participations >= 4 steps apart (at most 4 in 16 steps).
    let worst = 0;
    const search = (start: number, chosen: number[]) => {
      if (chosen.length > 0) {
        const column = new Float64Array(16);
        for (const p of chosen)
          for (let t = p; t < 16; t++) column[t] = (column[t] as number) + (c[t - p] as number);
        worst = Math.max(worst, Math.sqrt(column.reduce((s, v) => s + v * v, 0)));
      }
      if (chosen.length === 4) return;
      for (let p = start; p < 16; p++) search(p + 4, [...chosen, p]);
    };
    search(0, []);
    expect(trainer.report.sensitivity).toBeCloseTo(worst, 12);
    const single = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
    expect(trainer.report.sensitivity).toBeGreaterThan(1.5 * single);
  });
});

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
