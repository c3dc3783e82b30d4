/**
 * The validated configuration of a private run: the options normalised (aliases replaced), each checked by its
 * rule ({@link OPTION_RULES}), then the checks that tie several options together.
 */
import { type LearningRate, type ModeDescription, type ModeName, modesWhere } from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import type { Optimizer } from '@tensorflow/tfjs-core';
import { checkAdaptiveClipping, type ResolvedAdaptiveClipping } from './adaptive-clipping-options';
import type { ClippedGradientsProvider } from './clipped-gradients-provider';
import type { PerExampleLossFn, PerExampleMethod } from './compute-clipped-gradients';
import { OPTION_ALIASES, type ParticipationName } from './engine-options';
import { checkInnerOptimizer } from './inner-optimizer';
import { resolveLossOption } from './losses';
import type { ResolvedMetric } from './metrics';
import {
  type CheckedOptions,
  checkOptions,
  integer,
  KNOWN_OPTIONS,
  OPTION_RULES,
  required,
} from './option-rules';
import type { AnyLayer } from './per-example/types';
import { assertSecureSampler } from './secure-mode';
import { type EngineData, isExampleDataset, toEngineData } from './training-data';
import type { ExponentialWeightAverageOptions } from './weight-average';

/**
 * Replaces the original library's names by the engine's ({@link OPTION_ALIASES}); refuses an option given
 * under both names and an unknown option (a typo would otherwise be ignored silently).
 */
export function normaliseOptions(options: Record<string, unknown>): Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = OPTION_ALIASES[key] ?? key;
    if (!KNOWN_OPTIONS.includes(name)) {
      throw new TypeError(
        `unknown option '${key}'; the options are ${KNOWN_OPTIONS.join(', ')} (aliases: ${Object.keys(OPTION_ALIASES).join(', ')})`,
      );
    }
    if (Object.hasOwn(out, name)) {
      throw new TypeError(`option '${name}' is given twice (also as its alias '${key}')`);
    }
    out[name] = value;
  }
  return out;
}

/** A validated, normalised configuration with its defaults (before the run shape is known). */
export interface EngineConfig {
  /** The model trained. */
  readonly model: AnyLayer;
  /** The per-example loss. */
  readonly lossFn: PerExampleLossFn;
  /** The training set, or undefined when only its size was given (the data then comes with each fit or step). */
  readonly data: EngineData | undefined;
  /** Examples in the training set. */
  readonly datasetSize: number;
  /** The validated `epochs` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly epochs: number;
  /** The validated `mode` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly mode: ModeName;
  /** The validated `batchSize` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly batchSize: number | undefined;
  /** The validated `maxGradNorm` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly maxGradNorm: number | readonly number[] | Readonly<Record<string, number>>;
  /** Clipping mode ('per_layer' normalised to 'perLayer'). */
  readonly clipping: 'flat' | 'perLayer' | 'adaptive';
  /** The adaptive clipping settings (with `clipping: 'adaptive'` only), defaults applied where they are fixed. */
  readonly adaptiveClipping: ResolvedAdaptiveClipping | undefined;
  /** The validated `participation` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly participation: ParticipationName;
  /** The validated `errorType` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly errorType: 'rmse' | 'max';
  /** The validated `bufferCount` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly bufferCount: number | 'auto';
  /** The validated `minSeparation` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly minSeparation: number | undefined;
  /** The validated `maxParticipations` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly maxParticipations: number | undefined;
  /** The validated `gamma` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly gamma: number | undefined;
  /**
   * The validated `bands` option of the amplified banded MF modes (undefined for the other modes; with a sampler
   * given, the sampler's bands).
   */
  readonly bands: number | 'auto' | undefined;
  /** The validated `lossReduction` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly lossReduction: 'mean' | 'sum';
  /** The validated `poissonSampling` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly poissonSampling: boolean;
  /** The sampler given by the caller, if any. */
  readonly sampler: BatchSampler | undefined;
  /** The validated `learningRate` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly learningRate: LearningRate;
  /** The `optimizer` option (see {@link PrivateTrainingOptions}), if any. */
  readonly optimizer: Optimizer | undefined;
  /** The validated `weightDecay` option (see {@link PrivateTrainingOptions}), default 0. */
  readonly weightDecay: number;
  /** The validated `momentum` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly momentum: number;
  /** The validated `beta1` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly beta1: number;
  /** The validated `beta2` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly beta2: number;
  /** Floor of the Adam modes' corrected second moment. */
  readonly varianceFloor: number;
  /** The validated `seed` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly seed: number | bigint | undefined;
  /** The validated `secureMode` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly secureMode: boolean;
  /** The validated `perExampleMethod` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly perExampleMethod: PerExampleMethod | undefined;
  /** The validated `physicalBatchSize` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly physicalBatchSize: number | undefined;
  /** The validated `verifyPerExample` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly verifyPerExample: boolean;
  /** The validated `weightAverage` option with its defaults applied; undefined when no average is kept. */
  readonly weightAverage: Required<ExponentialWeightAverageOptions> | undefined;
  /** The validated `accountant` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly accountant: 'pld' | 'rdp';
  /** The validated `targetEpsilon` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly targetEpsilon: number | undefined;
  /** The validated `targetDelta` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly targetDelta: number | undefined;
  /** The validated `budgetPolicy` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly budgetPolicy: 'refuse' | 'allow';
  /** Noise multiplier given to `makePrivate` (undefined with a target epsilon). */
  readonly noiseMultiplier: number | undefined;
  /** The `clippedGradients` provider (see {@link PrivateTrainingOptions}), if any. */
  readonly clippedGradients: ClippedGradientsProvider | undefined;
  /** The validated `metrics` option (see {@link PrivateTrainingOptions}); empty when none. */
  readonly metrics: readonly ResolvedMetric[];
  /** The validated `nonFinite` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly nonFinite: 'error' | 'skip';
  /** The validated `reportTrainingLoss` option (see {@link PrivateTrainingOptions}), defaults applied. */
  readonly reportTrainingLoss: boolean;
}

function checkData(
  data: unknown,
  datasetSize: unknown,
): { data: EngineData | undefined; datasetSize: number } {
  if ((data === undefined) === (datasetSize === undefined)) {
    throw new TypeError(
      data === undefined
        ? "option 'data' or 'datasetSize' is required: the training set as { x, y } tensors, or its number of examples when the data is given to fit(data)"
        : "give either 'data' or 'datasetSize', not both: the size of the data is its number of examples",
    );
  }
  if (datasetSize !== undefined) {
    return { data: undefined, datasetSize: integer('datasetSize', datasetSize, 1, 2 ** 31 - 1) };
  }
  if (isExampleDataset(data)) {
    throw new TypeError(
      'data must be { x, y } tensors here (makePrivate is synchronous and cannot read a tf.data.Dataset): ' +
        'give its number of examples as datasetSize and the dataset to fit(dataset, options), which reads it once and ' +
        'draws every batch itself, because the privacy accounting depends on how examples are sampled',
    );
  }
  const checked = toEngineData(data, 'data');
  return { data: checked.data, datasetSize: checked.size };
}

/**
 * Validates the options of the engine: aliases replaced ({@link normaliseOptions}), every option checked by its
 * rule ({@link OPTION_RULES}), then the checks that tie options together (clipping and its norms, the mode's
 * sampling and participation, the noise or the privacy target, secure mode and the seed). `withEpsilon` selects
 * which of `noiseMultiplier` or `targetEpsilon`/`targetDelta` is required.
 */
export function validateConfig(
  raw: Record<string, unknown>,
  withEpsilon: boolean,
  engineSecure: boolean,
): EngineConfig {
  const options = normaliseOptions(raw);
  OPTION_RULES.model(options.model);
  const lossFn = resolveLossOption(options.loss, options.lossFn);
  const { data, datasetSize } = checkData(options.data, options.datasetSize);
  const checked = checkOptions(options, { datasetSize });
  const row = checked.mode;
  const mode = row.name;
  const { maxGradNorm } = checked;
  const clipping = checkClipping(checked.clipping, maxGradNorm, options.adaptiveClipping);
  const adaptiveClipping =
    clipping === 'adaptive'
      ? checkAdaptiveClipping(options.adaptiveClipping, maxGradNorm as number)
      : undefined;
  const { participation, poissonSampling } = checkSampling(row, checked);
  const bands = checkBands(row, checked, withEpsilon, datasetSize);
  if (row.strategy === 'single-parameter' && checked.gamma === undefined) {
    throw new TypeError(`option 'gamma' is required by mode '${mode}': a number in [0, 1)`);
  }
  const secureMode = checked.secureMode ?? engineSecure;
  if (secureMode && checked.sampler !== undefined) assertSecureSampler(checked.sampler);
  if (secureMode && checked.seed !== undefined) {
    throw new TypeError(
      'secureMode draws from operating-system entropy and accepts no seed: remove the seed option',
    );
  }
  const noise = checkNoise(options, checked, withEpsilon);
  if (clipping === 'adaptive' && checked.clippedGradients !== undefined) {
    // The threshold and its count noise live on this thread and move after every logical batch; workers
    // clipping their shares with their own copies would release one count each.
    throw new RangeError(
      "clippedGradients cannot be combined with clipping 'adaptive': use 'flat' or 'perLayer' with a provider, or adaptive clipping on this thread",
    );
  }
  return {
    model: checked.model,
    lossFn,
    data,
    datasetSize,
    epochs: checked.epochs,
    mode,
    batchSize: checked.batchSize,
    maxGradNorm,
    clipping,
    adaptiveClipping,
    participation,
    errorType: checked.errorType,
    bufferCount: checked.bufferCount,
    minSeparation: checked.minSeparation,
    maxParticipations: checked.maxParticipations,
    gamma: checked.gamma,
    bands,
    lossReduction: checked.lossReduction,
    poissonSampling,
    sampler: checked.sampler,
    momentum: checked.momentum,
    beta1: checked.beta1,
    beta2: checked.beta2,
    varianceFloor: checked.varianceFloor,
    ...checkInnerOptimizer(options, mode),
    seed: checked.seed,
    secureMode,
    perExampleMethod: checked.perExampleMethod,
    physicalBatchSize: checked.physicalBatchSize,
    verifyPerExample: checked.verifyPerExample,
    weightAverage: checked.weightAverage,
    accountant: checked.accountant,
    ...noise,
    budgetPolicy: checked.budgetPolicy,
    clippedGradients: checked.clippedGradients,
    metrics: checked.metrics,
    nonFinite: checked.nonFinite,
    reportTrainingLoss: checked.reportTrainingLoss,
  };
}

/** The clipping mode: its default follows from `maxGradNorm` (one norm: flat, several: per layer). */
function checkClipping(
  given: CheckedOptions['clipping'],
  maxGradNorm: CheckedOptions['maxGradNorm'],
  adaptiveOptions: unknown,
): 'flat' | 'perLayer' | 'adaptive' {
  const several = typeof maxGradNorm === 'object';
  const clipping = given ?? (several ? 'perLayer' : 'flat');
  if (clipping === 'flat' && several) throw new RangeError("clipping 'flat' needs one maxGradNorm number");
  if (clipping === 'adaptive' && several) {
    throw new RangeError("clipping 'adaptive' needs one maxGradNorm number (the initial threshold)");
  }
  if (clipping !== 'adaptive' && adaptiveOptions !== undefined) {
    throw new TypeError(
      `adaptiveClipping applies to clipping 'adaptive' only, this run has clipping '${clipping}'`,
    );
  }
  if (clipping === 'perLayer' && !several) {
    throw new RangeError("clipping 'perLayer' needs maxGradNorm as one norm per layer (array or record)");
  }
  return clipping;
}

/** The participation and the sampling of the mode's row, and a caller's sampler that must agree with them. */
function checkSampling(
  row: ModeDescription,
  checked: CheckedOptions,
): { participation: ParticipationName; poissonSampling: boolean } {
  const mode = row.name;
  const multiEpoch = row.fittedFor === 'min-separation';
  const participation = checked.participation ?? (multiEpoch ? 'cyclic' : 'streaming');
  if (multiEpoch && participation === 'streaming') {
    throw new RangeError(
      `mode '${mode}' fits its BLT for several participations: participation must be 'cyclic' or 'minSep', got 'streaming'`,
    );
  }
  const amplified = row.sampling === 'poisson';
  const samplerKind = checked.sampler?.participation.kind;
  if (
    samplerKind !== undefined &&
    checked.poissonSampling !== undefined &&
    checked.poissonSampling !== (samplerKind === 'poisson')
  ) {
    throw new RangeError(
      `poissonSampling (${String(checked.poissonSampling)}) contradicts the sampler given, whose participation is '${samplerKind}'`,
    );
  }
  const poissonSampling =
    samplerKind !== undefined ? samplerKind === 'poisson' : (checked.poissonSampling ?? amplified);
  if (amplified && !poissonSampling) {
    throw new RangeError(
      `mode '${mode}' is accounted with amplification by Poisson subsampling: ` +
        (samplerKind === undefined
          ? 'poissonSampling must be true'
          : `the sampler must be a PoissonSampler, got participation '${samplerKind}'`),
    );
  }
  const banded = row.sampling === 'cyclicPoisson';
  if (banded && poissonSampling) {
    throw new RangeError(
      `mode '${mode}' samples fixed groups with Poisson sampling inside the active one (cyclic Poisson sampling): ` +
        'leave poissonSampling unset and give no sampler or a CyclicPoissonSampler',
    );
  }
  if (!amplified && poissonSampling) {
    throw new RangeError(
      `mode '${mode}' is accounted with the sensitivity of its participation pattern, which needs the cyclic sampler ` +
        '(fixed batches, every example exactly once per epoch); Poisson sampling gives no separation between ' +
        `participations: set poissonSampling to false, or use mode ${modesWhere((m) => m.sampling === 'poisson')}`,
    );
  }
  if ((amplified || banded) && checked.participation !== undefined) {
    throw new RangeError(
      `participation applies to the modes without amplification; '${mode}' uses Poisson sampling`,
    );
  }
  return { participation, poissonSampling };
}

/**
 * The `bands` option: only for the amplified banded MF modes, an integer in [1, floor(datasetSize / batchSize)]
 * (the sampling rate batchSize · bands / datasetSize is at most 1) or `'auto'` (which needs a target ε to
 * calibrate each candidate). With a sampler given, it is the sampler's.
 */
function checkBands(
  row: ModeDescription,
  checked: CheckedOptions,
  withEpsilon: boolean,
  datasetSize: number,
): number | 'auto' | undefined {
  const given = checked.bands;
  if (row.sampling !== 'cyclicPoisson') {
    if (given !== undefined) {
      throw new RangeError(
        `bands applies to the amplified banded MF modes (${modesWhere((m) => m.sampling === 'cyclicPoisson')}), not to '${row.name}'`,
      );
    }
    return undefined;
  }
  const sampler = checked.sampler;
  if (sampler !== undefined) {
    // A sampler of another kind is refused with the mode's samplers when the run is planned (run-plan.ts).
    if (sampler.participation.kind !== 'cyclicPoisson') return undefined;
    const samplerBands = sampler.participation.bands;
    if (given !== undefined && given !== samplerBands) {
      throw new RangeError(
        `bands (${String(given)}) contradicts the sampler given, which has ${samplerBands} bands`,
      );
    }
    return samplerBands;
  }
  const batchSize = checked.batchSize;
  if (batchSize === undefined) {
    throw new TypeError(
      `option 'batchSize' is required by mode '${row.name}': the expected batch size (integer in [1, ${datasetSize}])`,
    );
  }
  const maxBands = Math.floor(datasetSize / batchSize);
  if (given === undefined || given === 'auto') {
    if (!withEpsilon) {
      throw new TypeError(
        `bands 'auto' calibrates the noise for each band count: use makePrivateWithEpsilon, or give bands as an integer in [1, ${maxBands}]`,
      );
    }
    return 'auto';
  }
  return integer('bands', given, 1, maxBands);
}

/** The noise multiplier (`makePrivate`) or the privacy target (`makePrivateWithEpsilon`, or a budget). */
function checkNoise(
  options: Record<string, unknown>,
  checked: CheckedOptions,
  withEpsilon: boolean,
): Pick<EngineConfig, 'noiseMultiplier' | 'targetEpsilon' | 'targetDelta'> {
  if (withEpsilon) {
    if (checked.noiseMultiplier !== undefined) {
      throw new TypeError(
        'makePrivateWithEpsilon calibrates the noise: remove noiseMultiplier (or use makePrivate)',
      );
    }
    return {
      noiseMultiplier: undefined,
      targetEpsilon: required(options, 'targetEpsilon', 'a number > 0') as number,
      targetDelta: required(options, 'targetDelta', 'a number in (0, 1)') as number,
    };
  }
  const noiseMultiplier = required(options, 'noiseMultiplier', 'the noise multiplier sigma (>= 0)') as number;
  if (checked.targetEpsilon === undefined && checked.targetDelta === undefined) {
    return { noiseMultiplier, targetEpsilon: undefined, targetDelta: undefined };
  }
  return {
    noiseMultiplier,
    targetEpsilon: required(options, 'targetEpsilon', 'the budget (> 0) with targetDelta') as number,
    targetDelta: required(options, 'targetDelta', 'a number in (0, 1) with targetEpsilon') as number,
  };
}
