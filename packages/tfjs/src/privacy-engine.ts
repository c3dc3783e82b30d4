/**
 * The user-facing engine: a few lines turn a tfjs-layers model, a per-example loss and an in-memory
 * dataset into a private training run with correlated noise, accounted for what the sampler really does.
 */
// A backend out of the box: tfjs's cpu backend is registered on import, so models and tensors work at once instead
// of failing with tfjs's "No backend found in registry"; `await selectBackend()` switches to the fast one. Whether a
// backend is then chosen is tracked, so that training on that cpu backend unchosen is warned about.
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
import { buildMechanism, RunAccounting } from './accounting';
import { activeBackend, trackBackendChoice } from './backend/backend-choice';
import {
  AdaptiveClipNorm,
  type ClippingOptions,
  clippingFromMaxGradNorm,
  clippingSensitivity,
} from './clipping';
import { type EngineConfig, validateConfig } from './engine-config';
import type { MakePrivateOptions, MakePrivateWithEpsilonOptions } from './engine-options';
import { createInnerOptimizer } from './inner-optimizer';
import { trainableVariables } from './per-example/model-layers';
import { privacyReport } from './privacy-report';
import { PrivateTrainer } from './private-trainer';
import { planRun } from './run-plan';
import { assertSecureRun } from './secure-mode';
import { runFingerprint } from './trainer-state';

trackBackendChoice();

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
    return this.#build(config);
  }

  /**
   * A private run calibrated to (targetEpsilon, targetDelta) over `epochs` epochs: it fits the strategy for
   * the participation asked, computes its sensitivity under the participation the sampler really produces,
   * and calibrates the noise multiplier so that the epsilon of the whole run is at most the target; the
   * three are in `trainer.report`.
   */
  makePrivateWithEpsilon(options: MakePrivateWithEpsilonOptions): PrivateTrainer {
    const config = validateConfig(options as unknown as Record<string, unknown>, true, this.secureMode);
    return this.#build(config);
  }

  #build(config: EngineConfig): PrivateTrainer {
    // A clear error, naming what to call, where no tfjs backend can be initialised.
    activeBackend();
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
    // The run's clipping, resolved once: what every step clips with, and the sensitivity of one example's clipped
    // gradient (for adaptive clipping the initial threshold, which the noise of each step follows).
    const clipping: ClippingOptions =
      adaptive === undefined
        ? clippingFromMaxGradNorm(config.maxGradNorm, layerNames)
        : { mode: 'adaptive', state: adaptive };
    const clipNorm = clippingSensitivity(clipping);
    const mechanism = buildMechanism(config, shape);
    const accounting = new RunAccounting(mechanism, shape, config.accountant, adaptive?.countNoiseMultiplier);
    // With adaptive clipping the total noise multiplier is shared between the gradients and the counts.
    const { noiseMultiplier, gradientNoiseMultiplier } =
      config.noiseMultiplier === undefined
        ? accounting.calibrate(config.targetEpsilon as number, config.targetDelta as number)
        : accounting.noiseSplit(config.noiseMultiplier);
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
    const report = privacyReport({
      config,
      shape,
      mechanism,
      accounting,
      noise: { noiseMultiplier, gradientNoiseMultiplier },
      clipNorm,
      adaptive,
      ...(target === undefined ? {} : { target }),
      ...(plannedEpsilon === undefined ? {} : { plannedEpsilon }),
      stepsWithinBudget,
    });
    const fingerprint = runFingerprint(config, report, clipping, variables);
    return new PrivateTrainer({
      config,
      accounting,
      optimizer,
      sampler,
      clipping,
      report,
      fingerprint,
    });
  }
}
