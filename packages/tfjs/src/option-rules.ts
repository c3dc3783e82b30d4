/**
 * The options of the privacy engine as a table of per-option rules: each rule checks one option's value alone and
 * returns it with its default applied (undefined for an optional option left out, when its default depends on
 * other options). The checks that tie several options together come after, in `validateConfig`. Every error
 * names the option and its allowed values, in the message style of `validate.ts`.
 */
import { describeMode, MODE_NAMES, type ModeDescription } from '@cnm/optim';
import type { BatchSampler } from '@cnm/sampler';
import type { ClippedGradientsProvider } from './clipped-gradients-provider';
import type { PerExampleMethod } from './compute-clipped-gradients';
import { PARTICIPATION_NAMES, type ParticipationName } from './engine-options';
import { type ResolvedMetric, resolveMetrics } from './metrics';
import type { AnyLayer } from './per-example/types';
import { assertBoolean, assertInRange, assertInteger, assertOneOf } from './validate';
import { type ExponentialWeightAverageOptions, resolveWeightAverageOptions } from './weight-average';

/** `value`, one of `allowed`, or `fallback` when it is left out. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  assertOneOf(name, value, allowed);
  return value;
}

/** `value`, an integer in `[min, max]`. */
export function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  assertInteger(name, value as number, min, max);
  return value as number;
}

/** `value`, an integer in `[min, max]`, or undefined when it is left out. */
export function optionalInteger(name: string, value: unknown, min: number, max?: number): number | undefined {
  return value === undefined ? undefined : integer(name, value, min, max);
}

/** `value`, a finite number in the interval (`minOpen`/`maxOpen` exclude the bound). */
export function finiteIn(
  name: string,
  value: unknown,
  range: { min: number; max: number; minOpen?: boolean; maxOpen?: boolean },
): number {
  const { min, max, minOpen = false, maxOpen = false } = range;
  assertInRange(name, value as number, { min, max, minExclusive: minOpen, maxExclusive: maxOpen });
  return value as number;
}

/** `value`, a finite number in the interval, or undefined when it is left out. */
function optionalFinite(
  name: string,
  value: unknown,
  range: { min: number; max: number; minOpen?: boolean; maxOpen?: boolean },
): number | undefined {
  return value === undefined ? undefined : finiteIn(name, value, range);
}

/** The option `name` of `options`, refused with `what` it must be when it is missing. */
export function required(options: Record<string, unknown>, name: string, what: string): unknown {
  const value = options[name];
  if (value === undefined || value === null) throw new TypeError(`option '${name}' is required: ${what}`);
  return value;
}

/** `value`, a boolean, or `fallback` when it is left out. */
function optionalBoolean<T extends boolean | undefined>(
  name: string,
  value: unknown,
  fallback: T,
): boolean | T {
  if (value === undefined) return fallback;
  assertBoolean(name, value);
  return value;
}

const POSITIVE = { min: 0, max: Number.MAX_VALUE, minOpen: true } as const;
const NON_NEGATIVE = { min: 0, max: Number.MAX_VALUE } as const;
const UNIT_OPEN = { min: 0, max: 1, maxOpen: true } as const;

/** The per-example gradient methods (see {@link PerExampleMethod}). */
const PER_EXAMPLE_METHODS: readonly PerExampleMethod[] = [
  'bookkeeping',
  'ghost',
  'mixed-ghost',
  'materialized',
  'loop',
];

/** What the rules may depend on: the size of the training set, known before the rules run. */
export interface RuleContext {
  /** Examples in the training set. */
  readonly datasetSize: number;
}

/**
 * One rule per option of {@link PrivateTrainingOptions} (and `noiseMultiplier`), in the order they are checked;
 * the option names the engine knows are this table's keys. `data` and `datasetSize` are read before the table
 * (the batch size is bounded by the dataset size), `adaptiveClipping` with `maxGradNorm` after it.
 */
export const OPTION_RULES = {
  model: (value: unknown): AnyLayer => {
    if (value === undefined || value === null) {
      throw new TypeError("option 'model' is required: the tfjs-layers model to train");
    }
    if (typeof (value as { apply?: unknown }).apply !== 'function') {
      throw new TypeError('model must be a tfjs-layers model or layer');
    }
    return value as AnyLayer;
  },
  // The loss is `loss` (a name or a function) or `lossFn`: checked together by `resolveLossOption`.
  loss: (value: unknown): unknown => value,
  lossFn: (value: unknown): unknown => value,
  data: (value: unknown): unknown => value,
  datasetSize: (value: unknown): unknown => value,
  mode: (value: unknown): ModeDescription => {
    if (value === undefined || value === null) {
      throw new TypeError(`option 'mode' is required: one of ${MODE_NAMES.join(', ')}`);
    }
    return describeMode(value as string);
  },
  epochs: (value: unknown): number => {
    if (value === undefined || value === null) {
      throw new TypeError("option 'epochs' is required: the number of epochs (integer >= 1)");
    }
    return integer('epochs', value, 1);
  },
  maxGradNorm: (value: unknown): number | readonly number[] | Readonly<Record<string, number>> => {
    if (value === undefined || value === null) {
      throw new TypeError("option 'maxGradNorm' is required: the per-example clipping norm (> 0)");
    }
    if (typeof value === 'number') return finiteIn('maxGradNorm', value, POSITIVE);
    if (typeof value !== 'object') {
      throw new TypeError(
        'maxGradNorm must be a number, an array of numbers or a record of layer name -> number',
      );
    }
    const norms = Array.isArray(value) ? value : Object.values(value);
    if (norms.length === 0) throw new RangeError('maxGradNorm must list at least one norm');
    for (const [i, norm] of norms.entries()) finiteIn(`maxGradNorm[${i}]`, norm, POSITIVE);
    return value as readonly number[] | Readonly<Record<string, number>>;
  },
  clipping: (value: unknown): 'flat' | 'perLayer' | 'adaptive' | undefined => {
    if (value === undefined) return undefined;
    assertOneOf('clipping', value, ['flat', 'perLayer', 'per_layer', 'adaptive'] as const);
    return value === 'per_layer' ? 'perLayer' : value;
  },
  adaptiveClipping: (value: unknown): unknown => value,
  participation: (value: unknown): ParticipationName | undefined =>
    value === undefined ? undefined : oneOf('participation', value, PARTICIPATION_NAMES, 'streaming'),
  poissonSampling: (value: unknown): boolean | undefined => {
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError('poissonSampling must be a boolean');
    }
    return value;
  },
  sampler: (value: unknown): BatchSampler | undefined => {
    if (value === undefined) return undefined;
    const sampler = value as BatchSampler;
    if (
      sampler === null ||
      typeof sampler !== 'object' ||
      typeof sampler.nextBatch !== 'function' ||
      typeof sampler.exportState !== 'function' ||
      typeof sampler.participation?.kind !== 'string'
    ) {
      throw new TypeError('sampler must be a BatchSampler of @cnm/sampler (with a declared participation)');
    }
    return sampler;
  },
  bufferCount: (value: unknown): number | 'auto' =>
    value === undefined || value === 'auto' ? 'auto' : integer('bufferCount (d)', value, 1, 16),
  minSeparation: (value: unknown): number | undefined => optionalInteger('minSeparation (b)', value, 1),
  maxParticipations: (value: unknown): number | undefined =>
    optionalInteger('maxParticipations (k)', value, 1),
  gamma: (value: unknown): number | undefined => optionalFinite('gamma', value, UNIT_OPEN),
  // Its range [1, floor(datasetSize / batchSize)] depends on the batch size and the mode: `checkBands` in
  // engine-config.ts checks it with them.
  bands: (value: unknown): number | 'auto' | undefined => {
    if (value !== undefined && value !== 'auto' && typeof value !== 'number') {
      throw new TypeError(`bands must be an integer >= 1 or 'auto', got ${String(value)}`);
    }
    return value;
  },
  secureMode: (value: unknown): boolean | undefined => {
    if (value !== undefined && typeof value !== 'boolean')
      throw new TypeError('secureMode must be a boolean');
    return value;
  },
  seed: (value: unknown): number | bigint | undefined => {
    if (value === undefined) return undefined;
    const ok =
      typeof value === 'bigint'
        ? value >= 0n && value < 2n ** 64n
        : typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    if (!ok) {
      throw new RangeError(
        `seed must be an integer in [0, 2^53 - 1] or a bigint in [0, 2^64), got ${String(value)}`,
      );
    }
    return value as number | bigint;
  },
  noiseMultiplier: (value: unknown): number | undefined =>
    optionalFinite('noiseMultiplier', value, NON_NEGATIVE),
  targetEpsilon: (value: unknown): number | undefined => optionalFinite('targetEpsilon', value, POSITIVE),
  targetDelta: (value: unknown): number | undefined =>
    optionalFinite('targetDelta', value, { min: 0, max: 1, minOpen: true, maxOpen: true }),
  perExampleMethod: (value: unknown): PerExampleMethod | undefined =>
    value === undefined ? undefined : oneOf('perExampleMethod', value, PER_EXAMPLE_METHODS, 'bookkeeping'),
  batchSize: (value: unknown, context: RuleContext): number | undefined =>
    optionalInteger('batchSize', value, 1, context.datasetSize),
  errorType: (value: unknown): 'rmse' | 'max' => oneOf('errorType', value, ['rmse', 'max'] as const, 'rmse'),
  lossReduction: (value: unknown): 'mean' | 'sum' =>
    oneOf('lossReduction', value, ['mean', 'sum'] as const, 'mean'),
  // A number or a schedule, checked with `optimizer` and `weightDecay` by `checkInnerOptimizer`.
  learningRate: (value: unknown): unknown => value,
  optimizer: (value: unknown): unknown => value,
  weightDecay: (value: unknown): unknown => value,
  momentum: (value: unknown): number => finiteIn('momentum', value ?? 0, UNIT_OPEN),
  beta1: (value: unknown): number => finiteIn('beta1', value ?? 0.9, UNIT_OPEN),
  beta2: (value: unknown): number => finiteIn('beta2', value ?? 0.999, UNIT_OPEN),
  varianceFloor: (value: unknown): number => finiteIn('varianceFloor', value ?? 1e-8, NON_NEGATIVE),
  physicalBatchSize: (value: unknown): number | undefined => optionalInteger('physicalBatchSize', value, 1),
  verifyPerExample: (value: unknown): boolean => optionalBoolean('verifyPerExample', value, true),
  weightAverage: (value: unknown): Required<ExponentialWeightAverageOptions> | undefined =>
    value === undefined ? undefined : resolveWeightAverageOptions(value),
  accountant: (value: unknown): 'pld' | 'rdp' => oneOf('accountant', value, ['pld', 'rdp'] as const, 'pld'),
  budgetPolicy: (value: unknown): 'refuse' | 'allow' =>
    oneOf('budgetPolicy', value, ['refuse', 'allow'] as const, 'refuse'),
  clippedGradients: (value: unknown): ClippedGradientsProvider | undefined => {
    if (value === undefined) return undefined;
    if (value === null || typeof (value as ClippedGradientsProvider).compute !== 'function') {
      throw new TypeError(
        'clippedGradients must be a ClippedGradientsProvider (an object with compute(request))',
      );
    }
    return value as ClippedGradientsProvider;
  },
  metrics: (value: unknown): readonly ResolvedMetric[] =>
    value === undefined ? [] : resolveMetrics(value, 'metrics'),
  nonFinite: (value: unknown): 'error' | 'skip' =>
    oneOf('nonFinite', value, ['error', 'skip'] as const, 'error'),
  reportTrainingLoss: (value: unknown): boolean => optionalBoolean('reportTrainingLoss', value, true),
} as const;

/** The options checked by {@link OPTION_RULES}, with what each rule returns. */
export type CheckedOptions = {
  readonly [K in keyof typeof OPTION_RULES]: ReturnType<(typeof OPTION_RULES)[K]>;
};

/** The option names the engine knows (aliases aside). */
export const KNOWN_OPTIONS: readonly string[] = Object.freeze(Object.keys(OPTION_RULES));

/** Applies every rule of {@link OPTION_RULES} to the (normalised) options, in the table's order. */
export function checkOptions(options: Record<string, unknown>, context: RuleContext): CheckedOptions {
  const checked: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(OPTION_RULES)) {
    checked[name] = (rule as (value: unknown, context: RuleContext) => unknown)(options[name], context);
  }
  return checked as CheckedOptions;
}

export { optionalBoolean };
