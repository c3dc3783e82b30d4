/**
 * The options of {@link auditPrivacy}: the engine's options for one private run (with the model as a factory and
 * the data as tensors), and the audit's own, checked in the engine's message style.
 */
import { type RandomGenerator, SecureRandom, SeededRandom } from '@cnm/sampler';
import { normaliseOptions } from '../engine-config';
import type { MakePrivateOptions, PrivateTrainingOptions } from '../engine-options';
import type { AnyLayer } from '../per-example/types';
import { type EngineData, type TensorData, toEngineData } from '../training-data';
import { assertInRange, assertInteger, assertOneOf } from '../validate';

/** Which canaries an audit plants. */
export type CanaryKind = 'gradient' | 'input';

/** Options of {@link auditPrivacy}. */
export interface AuditPrivacyOptions
  extends Omit<
    PrivateTrainingOptions,
    'model' | 'data' | 'datasetSize' | 'sampler' | 'clippedGradients' | 'targetDelta'
  > {
  /** Builds a fresh, untrained model for the audited run (the audit trains it once and disposes it). */
  readonly model: () => AnyLayer;
  /** The training set as `{ x, y }` (or `{ xs, ys }`) tensors; the audit adds its canaries beside it. */
  readonly data: TensorData;
  /**
   * Noise multiplier σ (as for `makePrivate`); without it the noise is calibrated to `targetEpsilon` (as for
   * `makePrivateWithEpsilon`).
   */
  readonly noiseMultiplier?: MakePrivateOptions['noiseMultiplier'];
  /** Delta of the claim audited, in (0, 1); the bound pays `2 · canaries · delta`, so keep it well below 1/canaries. */
  readonly targetDelta: number;
  /**
   * Number of canaries m, an integer >= 2 (at most the model's trainable parameters for gradient canaries). Each
   * is included with probability 1/2; more canaries give a tighter bound.
   */
  readonly canaries: number;
  /** Confidence of the lower bound, in (0, 1); default 0.95. */
  readonly confidence?: number;
  /**
   * `'gradient'` (default): white-box canaries, one parameter coordinate each, scored from every released noisy
   * gradient sum (the strongest adversary the accounting covers). `'input'`: black-box canaries, out-of-distribution
   * inputs with random labels, scored by the final model's loss on them.
   */
  readonly canaryKind?: CanaryKind;
  /**
   * Source of the audit's secrets (which canaries are included, where they are). Default: from `seed` when given,
   * otherwise secure randomness.
   */
  readonly random?: RandomGenerator;
}

/** The audit's options, checked and split from the engine's. */
export interface ResolvedAuditOptions {
  /** The engine's options (normalised names), without the model and the data. */
  readonly engine: Record<string, unknown>;
  /** The model factory. */
  readonly model: () => AnyLayer;
  /** The real training data. */
  readonly data: EngineData;
  /** Its number of examples N. */
  readonly dataSize: number;
  /** Canaries m. */
  readonly canaries: number;
  /** Confidence. */
  readonly confidence: number;
  /** Delta of the claim. */
  readonly delta: number;
  /** Canary kind. */
  readonly canaryKind: CanaryKind;
  /** The audit's randomness. */
  readonly random: RandomGenerator;
  /** Whether the noise is calibrated to `targetEpsilon` (no `noiseMultiplier`). */
  readonly withEpsilon: boolean;
}

/** Added to the run's seed for the audit's own draws, so that they differ from the engine's. */
const AUDIT_SEED_OFFSET = 0x6a09e667f3bcc908n;

/** Engine options an audit cannot take, and why. */
const REFUSED: Readonly<Record<string, string>> = Object.freeze({
  datasetSize: 'the audit trains on data it is given (with its canaries beside it): give data',
  sampler: "the audit adds its canaries to the engine's own sampler: leave sampler out",
  clippedGradients: 'the audit observes the steps on this thread: leave clippedGradients out',
});

/** Checks the options of {@link auditPrivacy} and splits the audit's from the engine's. */
export function resolveAuditOptions(options: AuditPrivacyOptions): ResolvedAuditOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { canaries, confidence = 0.95, canaryKind = 'gradient', random, ...rest } = options;
  const engine = normaliseOptions(rest as unknown as Record<string, unknown>);
  for (const [name, why] of Object.entries(REFUSED)) {
    if (engine[name] !== undefined)
      throw new TypeError(`option '${name}' is not accepted by auditPrivacy: ${why}`);
  }
  const model = engine.model;
  if (typeof model !== 'function') {
    throw new TypeError(
      'model must be a function returning a fresh tfjs-layers model (the audit trains its own)',
    );
  }
  const { data, size } = toEngineData(engine.data, 'data');
  assertInteger('canaries', canaries, 2, 10_000_000);
  assertInRange('confidence', confidence, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  assertOneOf('canaryKind', canaryKind, ['gradient', 'input'] as const);
  const delta = engine.targetDelta;
  if (typeof delta !== 'number') {
    throw new TypeError('targetDelta is required: the delta of the claim audited, in (0, 1)');
  }
  assertInRange('targetDelta', delta, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  if (canaryKind === 'gradient' && typeof engine.maxGradNorm !== 'number') {
    throw new TypeError('gradient canaries need one clipping norm: maxGradNorm must be a number');
  }
  if (canaryKind === 'gradient' && engine.clipping !== undefined && engine.clipping !== 'flat') {
    throw new TypeError(`gradient canaries need flat clipping, got clipping '${String(engine.clipping)}'`);
  }
  const withEpsilon = engine.noiseMultiplier === undefined;
  if (withEpsilon && engine.targetEpsilon === undefined) {
    throw new TypeError('give noiseMultiplier or targetEpsilon: the claim audited');
  }
  if (random !== undefined && (random === null || typeof random.nextUint32 !== 'function')) {
    throw new TypeError('random must be a RandomGenerator of @cnm/sampler');
  }
  const seed = engine.seed;
  const auditRandom =
    random ??
    ((typeof seed === 'number' && Number.isInteger(seed)) || typeof seed === 'bigint'
      ? SeededRandom.fromSeed((BigInt(seed) + AUDIT_SEED_OFFSET) & ((1n << 64n) - 1n))
      : new SecureRandom());
  const { model: _model, data: _data, ...engineOnly } = engine;
  // makePrivate takes targetDelta only as half of a budget; the audit needs it for the claim in any case.
  if (engine.targetEpsilon === undefined) delete engineOnly.targetDelta;
  return {
    engine: engineOnly,
    model: model as () => AnyLayer,
    data,
    dataSize: size,
    canaries,
    confidence,
    delta,
    canaryKind,
    random: auditRandom,
    withEpsilon,
  };
}
