/**
 * The user-facing engine: a few lines turn a tfjs-layers model, a per-example loss and an in-memory
 * dataset into a private training run with correlated noise, accounted for what the sampler really does.
 */
// A backend out of the box: tfjs's cpu backend is registered on import, so models and tensors work at once instead
// of failing with tfjs's "No backend found in registry"; `await selectBackend()` switches to the fast one.
import '@tensorflow/tfjs-backend-cpu';
import type { ModeOptimizerOptions } from '@cnm/optim';
import {
  type BatchSampler,
  CyclicPoissonSampler,
  CyclicSampler,
  PoissonSampler,
  type RandomGenerator,
  SecureRandom,
  SeededRandom,
} from '@cnm/sampler';
import { buildMechanism, planRun, RunAccounting } from './accounting';
import { AdaptiveClipNorm, type ClippingOptions } from './clipping';
import {
  type EngineConfig,
  type MakePrivateOptions,
  type MakePrivateWithEpsilonOptions,
  validateConfig,
} from './engine-config';
import { createInnerOptimizer } from './inner-optimizer';
import { type PrivacyReport, PrivateTrainer, trainableVariables } from './private-trainer';
import { assertSecureRun } from './secure-mode';

/** Options of the {@link PrivacyEngine} itself. */
export interface PrivacyEngineOptions {
  /**
   * Default of every run's `secureMode`: operating-system entropy (SecureRandom) for sampling and noise,
   * and no seed accepted. Default false.
   */
  readonly secureMode?: boolean;
}

const MASK_64 = (1n << 64n) - 1n;
/** Offset separating the sampler's stream from the noise's when both derive from one seed. */
const SAMPLER_SEED_OFFSET = 0x9e3779b97f4a7c15n;
/** Offset of the adaptive clipping's count-noise stream (distinct from the sampler's and the gradient noise's). */
const COUNT_NOISE_SEED_OFFSET = 0xd1b54a32d192ed03n;

function randomSeed(): bigint {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[0] as number) << 32n) | BigInt(words[1] as number);
}

function clippingOf(
  config: EngineConfig,
  layerNames: string[],
): { clipping: ClippingOptions; clipNorm: number } {
  const norms = config.maxGradNorm;
  if (typeof norms === 'number' && config.clipping === 'adaptive') {
    throw new Error('internal: adaptive clipping is built by adaptiveClippingOf');
  }
  if (typeof norms === 'number') return { clipping: { mode: 'flat', maxGradNorm: norms }, clipNorm: norms };
  let thresholds: Record<string, number>;
  if (Array.isArray(norms)) {
    if (norms.length !== layerNames.length) {
      throw new RangeError(
        `maxGradNorm must hold one norm per trainable layer (${layerNames.length}: ${layerNames.join(', ')}), got ${norms.length}`,
      );
    }
    thresholds = Object.fromEntries(layerNames.map((name, i) => [name, norms[i] as number]));
  } else {
    thresholds = { ...(norms as Record<string, number>) };
    for (const name of layerNames) {
      if (thresholds[name] === undefined)
        throw new RangeError(`maxGradNorm has no norm for trainable layer '${name}'`);
    }
    for (const name of Object.keys(thresholds)) {
      if (!layerNames.includes(name)) {
        throw new RangeError(
          `maxGradNorm names '${name}', which is not a trainable layer (${layerNames.join(', ')})`,
        );
      }
    }
  }
  const clipNorm = Math.sqrt(Object.values(thresholds).reduce((s, t) => s + t * t, 0));
  return { clipping: { mode: 'perLayer', thresholds }, clipNorm };
}

/** The adaptive clipping state of a run: initial threshold, count noise (default `batchSize / 20`), generator. */
function adaptiveClippingOf(
  config: EngineConfig,
  expectedBatchSize: number,
  seed: bigint | undefined,
): AdaptiveClipNorm {
  const settings = config.adaptiveClipping;
  if (settings === undefined) throw new Error('internal: adaptive clipping without its settings');
  return new AdaptiveClipNorm({
    initialMaxGradNorm: config.maxGradNorm as number,
    targetUnclippedQuantile: settings.targetUnclippedQuantile,
    learningRate: settings.learningRate,
    countNoiseStddev: settings.countNoiseStddev ?? expectedBatchSize / 20,
    expectedBatchSize,
    minThreshold: settings.minThreshold,
    maxThreshold: settings.maxThreshold,
    // The count noise comes from the run's randomness: seeded with the run's seed, secure in secure mode.
    random:
      seed === undefined
        ? new SecureRandom()
        : SeededRandom.fromSeed((seed + COUNT_NOISE_SEED_OFFSET) & MASK_64),
  });
}

/**
 * The privacy engine, the TypeScript counterpart of the original library's `CNMEngine`. It validates the
 * options (the original names are accepted as aliases, see {@link OPTION_ALIASES}), chooses the sampler
 * the accounting needs (Poisson for 'DP-SGD-AMPLIFIED', cyclic otherwise), fits the strategy, computes its
 * sensitivity under the real participation, and returns a {@link PrivateTrainer}.
 *
 * @example
 * ```ts
 * const engine = new PrivacyEngine();
 * const trainer = engine.makePrivateWithEpsilon({
 *   model, lossFn, datasetSize: 1000, epochs: 8, targetEpsilon: 8, targetDelta: 1e-5, maxGradNorm: 1,
 *   mode: 'BLT', participation: 'streaming', errorType: 'rmse', d: 4, b: 5, k: 8,
 * });
 * await trainer.fit({ x, y }); // or an unbatched tf.data.Dataset of examples { xs, ys }
 * trainer.getEpsilon(1e-5);
 * ```
 */
export class PrivacyEngine {
  /** Default secure mode of the runs. */
  readonly secureMode: boolean;

  /** @param options - Engine-wide defaults. */
  constructor(options: PrivacyEngineOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.secureMode !== undefined && typeof options.secureMode !== 'boolean') {
      throw new TypeError('secureMode must be a boolean');
    }
    this.secureMode = options.secureMode ?? false;
  }

  /**
   * A private run with a given noise multiplier. With `targetEpsilon`/`targetDelta` the budget is enforced
   * (by default the step that would exceed it is refused).
   */
  makePrivate(options: MakePrivateOptions): PrivateTrainer {
    const config = validateConfig(options as unknown as Record<string, unknown>, false, this.secureMode);
    return this.#build(config, config.noiseMultiplier as number);
  }

  /**
   * A private run calibrated to (targetEpsilon, targetDelta) over `epochs` epochs: it fits the strategy for
   * the participation asked, computes its sensitivity under the participation the sampler really produces,
   * and calibrates the noise multiplier so that the epsilon of the whole run is at most the target; the
   * three are in `trainer.report`.
   */
  makePrivateWithEpsilon(options: MakePrivateWithEpsilonOptions): PrivateTrainer {
    const config = validateConfig(options as unknown as Record<string, unknown>, true, this.secureMode);
    return this.#build(config, undefined);
  }

  #build(config: EngineConfig, givenNoiseMultiplier: number | undefined): PrivateTrainer {
    const shape = planRun(config);
    const { variables, layerNames } = trainableVariables(config.model);
    if (variables.length === 0) throw new RangeError('model has no trainable variables');
    const seed = config.secureMode
      ? undefined
      : config.seed === undefined
        ? randomSeed()
        : BigInt(config.seed);
    const adaptive =
      config.clipping === 'adaptive' ? adaptiveClippingOf(config, shape.batchSize, seed) : undefined;
    const { clipping, clipNorm } =
      adaptive === undefined
        ? clippingOf(config, layerNames)
        : {
            clipping: { mode: 'adaptive', state: adaptive } as ClippingOptions,
            clipNorm: adaptive.maxGradNorm,
          };
    const mechanism = buildMechanism(config, shape);
    const accounting = new RunAccounting(mechanism, shape, config.accountant, adaptive?.countNoiseMultiplier);
    // With adaptive clipping the total noise multiplier is shared between the gradients and the counts.
    const { totalNoiseMultiplier: noiseMultiplier, gradientNoiseMultiplier } =
      givenNoiseMultiplier === undefined
        ? accounting.calibrateGradient(config.targetEpsilon as number, config.targetDelta as number)
        : {
            totalNoiseMultiplier: givenNoiseMultiplier,
            gradientNoiseMultiplier: accounting.gradientNoiseMultiplierFor(givenNoiseMultiplier),
          };
    const target =
      config.targetEpsilon === undefined
        ? undefined
        : { epsilon: config.targetEpsilon, delta: config.targetDelta as number };
    const plannedEpsilon =
      target === undefined
        ? undefined
        : accounting.epsilonAfter(shape.totalSteps, gradientNoiseMultiplier, target.delta);
    const stepsWithinBudget =
      target === undefined
        ? shape.totalSteps
        : accounting.maxStepsWithin(target.epsilon, gradientNoiseMultiplier, target.delta);
    const samplerRng: RandomGenerator =
      seed === undefined ? new SecureRandom() : SeededRandom.fromSeed((seed + SAMPLER_SEED_OFFSET) & MASK_64);
    const sampler: BatchSampler =
      config.sampler ??
      (shape.bands !== undefined
        ? new CyclicPoissonSampler({
            datasetSize: shape.datasetSize,
            bands: shape.bands,
            sampleRate: shape.sampleRate as number,
            rng: samplerRng,
          })
        : config.poissonSampling
          ? new PoissonSampler({
              datasetSize: shape.datasetSize,
              sampleRate: shape.sampleRate as number,
              rng: samplerRng,
            })
          : new CyclicSampler({
              datasetSize: shape.datasetSize,
              batchSize: shape.batchSize,
              rng: samplerRng,
            }));
    if (sampler.stepsPerEpoch !== shape.stepsPerEpoch) {
      throw new Error(
        `internal: sampler has ${sampler.stepsPerEpoch} steps per epoch, the accounting ${shape.stepsPerEpoch}`,
      );
    }
    const optimizerOptions: ModeOptimizerOptions = {
      variables,
      learningRate: config.learningRate,
      noise: {
        strategy: mechanism.strategy,
        noiseMultiplier: gradientNoiseMultiplier,
        maxGradNorm: clipNorm,
        sensitivity: mechanism.noiseSensitivity,
        random: seed === undefined ? 'secure' : { seed },
      },
      momentum: config.momentum,
      beta1: config.beta1,
      beta2: config.beta2,
      varianceFloor: config.varianceFloor,
    };
    const optimizer = createInnerOptimizer(config.mode, config, optimizerOptions);
    if (config.secureMode) {
      assertSecureRun({
        sampler,
        noiseIsSecure: optimizer.noise.secure,
        ...(adaptive === undefined ? {} : { adaptiveClippingIsSecure: adaptive.isSecure }),
      });
    }
    const fit = mechanism.fit;
    const bandFit = mechanism.bandFit;
    const report: PrivacyReport = {
      mode: config.mode,
      participation:
        bandFit !== undefined ? 'cyclic-poisson' : config.poissonSampling ? 'poisson' : config.participation,
      accounting: accounting.label,
      noiseMultiplier,
      gradientNoiseMultiplier,
      sensitivity: mechanism.sensitivity,
      noiseSensitivity: mechanism.noiseSensitivity,
      strategy: mechanism.strategy.name,
      ...(fit === undefined
        ? {}
        : {
            blt: {
              bufferCount: fit.bufferCount,
              decays: Array.from(fit.blt.toJSON().decays),
              outputScales: Array.from(fit.blt.toJSON().outputScales),
              loss: fit.loss,
            },
          }),
      ...(bandFit === undefined
        ? {}
        : {
            bandmf: {
              bands: bandFit.bands,
              coefficients: Array.from(bandFit.coefficients),
              sampleRate: shape.sampleRate as number,
              noiseRmse: gradientNoiseMultiplier * bandFit.loss,
              loss: bandFit.loss,
            },
          }),
      clipNorm,
      ...(adaptive === undefined
        ? {}
        : {
            adaptiveClipping: {
              initialThreshold: clipNorm,
              targetUnclippedQuantile: adaptive.targetUnclippedQuantile,
              learningRate: adaptive.learningRate,
              countNoiseStddev: adaptive.countNoiseStddev,
              countNoiseMultiplier: adaptive.countNoiseMultiplier,
              minThreshold: adaptive.minThreshold,
              maxThreshold: adaptive.maxThreshold,
            },
          }),
      run: {
        datasetSize: shape.datasetSize,
        batchSize: shape.batchSize,
        stepsPerEpoch: shape.stepsPerEpoch,
        epochs: shape.epochs,
        totalSteps: shape.totalSteps,
      },
      ...(target === undefined ? {} : { target }),
      ...(plannedEpsilon === undefined ? {} : { plannedEpsilon }),
      stepsWithinBudget,
      nonFinite: config.nonFinite,
      reportTrainingLoss: config.reportTrainingLoss,
    };
    const fingerprint = {
      format: 'cnm-private-run',
      mode: report.mode,
      participation: report.participation,
      accounting: report.accounting,
      run: report.run,
      noiseMultiplier,
      // Only with adaptive clipping (without it, it equals noiseMultiplier): older checkpoints stay readable.
      ...(adaptive === undefined ? {} : { gradientNoiseMultiplier }),
      sensitivity: report.sensitivity,
      noiseSensitivity: report.noiseSensitivity,
      strategy: report.strategy,
      blt:
        report.blt === undefined
          ? null
          : { decays: report.blt.decays, outputScales: report.blt.outputScales },
      // Only for the banded modes: checkpoints of the other modes stay readable.
      ...(report.bandmf === undefined
        ? {}
        : { bandmf: { bands: report.bandmf.bands, coefficients: report.bandmf.coefficients } }),
      // The adaptive state moves during the run: the fingerprint holds its fixed settings.
      clipping:
        report.adaptiveClipping === undefined ? clipping : { mode: 'adaptive', ...report.adaptiveClipping },
      lossReduction: config.lossReduction,
      learningRate: config.learningRate,
      momentum: config.momentum,
      beta1: config.beta1,
      beta2: config.beta2,
      varianceFloor: config.varianceFloor,
      // Only when used: checkpoints of runs without them stay readable.
      ...(config.weightDecay === 0 ? {} : { weightDecay: config.weightDecay }),
      ...(config.optimizer === undefined ? {} : { optimizer: `tfjs ${config.optimizer.getClassName()}` }),
      // Only with an average: checkpoints of runs without one stay readable.
      ...(config.weightAverage === undefined ? {} : { weightAverage: config.weightAverage }),
      secureMode: config.secureMode,
      variableShapes: variables.map((v) => [...v.shape]),
    };
    return new PrivateTrainer({
      config,
      accounting,
      noiseMultiplier,
      gradientNoiseMultiplier,
      optimizer,
      sampler,
      clipping,
      clipNorm,
      report,
      fingerprint,
    });
  }
}
