/**
 * The shape of a run (examples, batch size, steps per epoch, epochs, sampling rate, bands) from the engine's
 * options or the sampler given, refusing the shapes and samplers whose accounting would not hold.
 */
import { describeMode, modesWhere } from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import { chooseBands } from './band-choice';
import type { EngineConfig } from './engine-config';

/** The shape of the run: how many examples, batches and steps the accounting covers. */
export interface RunShape {
  /** Examples in the training set. */
  readonly datasetSize: number;
  /** Batch size of the cyclic sampler, or the expected batch size under Poisson sampling. */
  readonly batchSize: number;
  /** Steps per epoch (for Poisson sampling `round(1 / sampleRate)`, the sampler's convention). */
  readonly stepsPerEpoch: number;
  /** Epochs covered by the accounting. */
  readonly epochs: number;
  /** All steps of the run, `stepsPerEpoch * epochs`. */
  readonly totalSteps: number;
  /** Poisson sampling rate, for the modes that sample with Poisson sampling (within the active group if banded). */
  readonly sampleRate?: number;
  /** Bands b (= groups of the cyclic Poisson sampler), for the amplified banded MF modes. */
  readonly bands?: number;
}

/**
 * Derives the run shape from the options and refuses the shapes whose accounting would not hold: a
 * minimum separation `b` larger than the cyclic sampler's real separation (steps per epoch) or than the
 * run, more epochs than `maxParticipations` (each epoch is one participation).
 */
export function planRun(config: EngineConfig): RunShape {
  if (config.sampler !== undefined) return planWithSampler(config, config.sampler);
  const { datasetSize, epochs } = config;
  if (config.bands !== undefined) return planBanded(config, config.bands);
  if (config.poissonSampling) {
    if (config.batchSize === undefined) {
      throw new TypeError(
        "option 'batchSize' is required with Poisson sampling: the expected batch size (integer >= 1)",
      );
    }
    const sampleRate = config.batchSize / datasetSize;
    const stepsPerEpoch = Math.max(1, Math.round(1 / sampleRate));
    return {
      datasetSize,
      batchSize: config.batchSize,
      stepsPerEpoch,
      epochs,
      totalSteps: stepsPerEpoch * epochs,
      sampleRate,
    };
  }
  const b = config.minSeparation;
  let batchSize = config.batchSize;
  if (batchSize === undefined) {
    if (b === undefined) {
      throw new TypeError(
        "option 'batchSize' is required (integer in [1, datasetSize]), or 'minSeparation' (b), from which the batch size ceil(datasetSize / b) follows",
      );
    }
    if (b > datasetSize) {
      throw new RangeError(`minSeparation (b) must be at most the dataset size ${datasetSize}, got ${b}`);
    }
    batchSize = Math.ceil(datasetSize / b);
  }
  const stepsPerEpoch = Math.ceil(datasetSize / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  if (b !== undefined) {
    if (b > totalSteps) {
      throw new RangeError(
        `minSeparation (b) must be at most the number of steps n = ${totalSteps}, got ${b}`,
      );
    }
    if (b > stepsPerEpoch) {
      throw new RangeError(
        `minSeparation (b) must be at most ${stepsPerEpoch}: the cyclic sampler (batch size ${batchSize} over ${datasetSize} examples) ` +
          `puts ${stepsPerEpoch} steps between two participations of an example, so b = ${b} would not hold`,
      );
    }
  }
  const k = config.maxParticipations;
  if (k !== undefined && epochs > k) {
    throw new RangeError(
      `maxParticipations (k) must be at least epochs (${epochs}): the cyclic sampler makes every example participate once per epoch, got k = ${k}`,
    );
  }
  return { datasetSize, batchSize, stepsPerEpoch, epochs, totalSteps };
}

/**
 * The run shape of amplified banded MF: expected batch size B, p = B · b / N, steps per epoch N / B rounded as the
 * cyclic Poisson sampler does (round(b / p)). `'auto'` picks the b of smallest σ(b) · RMSE(b) (see band-choice.ts).
 */
function planBanded(config: EngineConfig, bandsOption: number | 'auto'): RunShape {
  const { datasetSize, epochs } = config;
  const batchSize = config.batchSize as number;
  const shapeFor = (bands: number): RunShape => {
    const sampleRate = (batchSize * bands) / datasetSize;
    const stepsPerEpoch = Math.max(1, Math.round(bands / sampleRate));
    return {
      datasetSize,
      batchSize,
      stepsPerEpoch,
      epochs,
      totalSteps: stepsPerEpoch * epochs,
      sampleRate,
      bands,
    };
  };
  let bands: number;
  if (bandsOption === 'auto') {
    const steps = shapeFor(1).totalSteps;
    const best = chooseBands({
      datasetSize,
      batchSize,
      steps,
      targetEpsilon: config.targetEpsilon as number,
      targetDelta: config.targetDelta as number,
      accountant: config.accountant,
      momentum: bandedMomentum(config),
    })[0];
    bands = best?.bands ?? 1;
  } else bands = bandsOption;
  const shape = shapeFor(bands);
  if (bands > shape.totalSteps) {
    throw new RangeError(`bands must be at most the number of steps n = ${shape.totalSteps}, got ${bands}`);
  }
  return shape;
}

/** The momentum of the workload a banded strategy is fitted for: the SGD momentum, none for Adam. */
export function bandedMomentum(config: EngineConfig): number {
  return describeMode(config.mode).optimizer === 'dp-sgd' ? config.momentum : 0;
}

/**
 * The run shape of a sampler given by the caller, refusing the samplers whose participation does not support
 * the mode's accounting.
 */
function planWithSampler(config: EngineConfig, sampler: BatchSampler): RunShape {
  const { datasetSize, epochs, mode } = config;
  const row = describeMode(mode);
  if (sampler.datasetSize !== datasetSize) {
    throw new RangeError(
      `sampler.datasetSize must be the number of examples in data (${datasetSize}), got ${sampler.datasetSize}`,
    );
  }
  if (sampler.step !== 0)
    throw new RangeError(`sampler must be at step 0 (a fresh sampler), got step ${sampler.step}`);
  if (config.batchSize !== undefined || config.minSeparation !== undefined) {
    throw new TypeError('batchSize and minSeparation (b) follow from the sampler given: remove them');
  }
  const participation = sampler.participation;
  const stepsPerEpoch = sampler.stepsPerEpoch;
  const totalSteps = stepsPerEpoch * epochs;
  if (config.secureMode && sampler.exportState().rng !== null) {
    throw new TypeError('secureMode needs a sampler drawing from SecureRandom; this one uses a SeededRandom');
  }
  const k = config.maxParticipations;
  if (k !== undefined && epochs > k) {
    throw new RangeError(
      `maxParticipations (k) must be at least epochs (${epochs}): the sampler makes every example participate up to once per epoch, got k = ${k}`,
    );
  }
  if (
    (participation.kind === 'cyclic' ||
      participation.kind === 'poisson' ||
      participation.kind === 'cyclicPoisson') &&
    !row.samplers.includes(participation.kind)
  ) {
    throw new RangeError(
      `mode '${mode}' is not accounted for a ${participation.kind} sampler: use mode ${modesWhere((m) => m.samplers.includes(participation.kind))}`,
    );
  }
  switch (participation.kind) {
    case 'cyclicPoisson':
      if (participation.bands > totalSteps) {
        throw new RangeError(
          `the sampler's bands must be at most the number of steps n = ${totalSteps}, got ${participation.bands}`,
        );
      }
      return {
        datasetSize,
        batchSize: (participation.sampleRate * datasetSize) / participation.bands,
        stepsPerEpoch,
        epochs,
        totalSteps,
        sampleRate: participation.sampleRate,
        bands: participation.bands,
      };
    case 'poisson':
      // validateConfig already tied Poisson sampling to the modes that sample with it.
      return {
        datasetSize,
        batchSize: participation.sampleRate * datasetSize,
        stepsPerEpoch,
        epochs,
        totalSteps,
        sampleRate: participation.sampleRate,
      };
    case 'cyclic':
      return { datasetSize, batchSize: participation.batchSize, stepsPerEpoch, epochs, totalSteps };
    case 'shuffle':
    case 'ballsInBins': {
      if (!row.samplers.includes(participation.kind)) {
        const kind = participation.kind;
        throw new RangeError(
          `mode '${mode}' is accounted with the sensitivity of its strategy under min-separation, and a ${kind} ` +
            'sampler gives none: an example can be in the last batch of one epoch and the first of the next (1 step apart). ' +
            `Use a CyclicSampler (fixed batches), or mode ${modesWhere((m) => m.samplers.includes(kind))}, whose accounting needs only one participation per epoch`,
        );
      }
      const batchSize =
        participation.kind === 'shuffle' ? participation.batchSize : datasetSize / participation.binCount;
      return { datasetSize, batchSize, stepsPerEpoch, epochs, totalSteps };
    }
    default:
      throw new RangeError(
        `sampler participation '${String((participation as { kind: unknown }).kind)}' is not supported`,
      );
  }
}
