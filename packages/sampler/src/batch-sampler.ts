import type { LastBatchPolicy, ParticipationPattern } from './participation';
import type { RandomGenerator } from './random-generator';
import { SeededRandom, type SeededRandomState } from './seeded-random';
import { assertInteger } from './validate';

/**
 * A source of batches of example indices over a dataset of `datasetSize` examples, with a declared
 * participation guarantee and a resumable position.
 */
export interface BatchSampler {
  /** Number of examples N; indices lie in `[0, N)`. */
  readonly datasetSize: number;
  /** The participation pattern this sampler guarantees, for the privacy accounting. */
  readonly participation: ParticipationPattern;
  /** Batches per epoch (for Poisson sampling a convention, see {@link PoissonSampler}). */
  readonly stepsPerEpoch: number;
  /** Where the sampler's random choices come from (see {@link SamplerRandomness}). */
  readonly randomness: SamplerRandomness;
  /** Number of batches yielded so far. */
  readonly step: number;
  /** Returns the next batch: distinct indices in increasing order for Poisson, otherwise in sampled order. May be empty. */
  nextBatch(): Int32Array;
  /** Returns the complete position (including a {@link SeededRandom}'s stream) as a plain JSON object. */
  exportState(): BatchSamplerState;
  /** Continues exactly from an exported position. The sampler must have been built with the same parameters. */
  restoreState(state: BatchSamplerState): void;
}

/**
 * Where a sampler's random choices come from: `'secure'` from a generator that declares itself secure
 * ({@link RandomGenerator.isSecure}, a {@link SecureRandom}); `'seeded'` from one that does not (a
 * {@link SeededRandom}: predictable from its seed); `'none'` when it makes no random choice (a
 * {@link CyclicSampler} without a generator cuts contiguous index ranges).
 */
export type SamplerRandomness = 'secure' | 'seeded' | 'none';

/** The {@link SamplerRandomness} of a sampler built with `rng` (absent: no random choice). */
export function randomnessOf(rng: RandomGenerator | undefined): SamplerRandomness {
  if (rng === undefined) return 'none';
  return rng.isSecure === true ? 'secure' : 'seeded';
}

/** Fields shared by every sampler state. */
export interface BatchSamplerStateBase {
  /** Number of examples. */
  readonly datasetSize: number;
  /** Number of batches yielded so far. */
  readonly step: number;
  /**
   * The generator's state when it is a {@link SeededRandom}; `null` for a {@link SecureRandom} (not exportable) and
   * for the cyclic sampler (which draws only when it is built; the cyclic Poisson sampler draws every step).
   */
  readonly rng: SeededRandomState | null;
}

/** Exported position of a {@link PoissonSampler}. */
export interface PoissonSamplerState extends BatchSamplerStateBase {
  /** Discriminant. */
  readonly kind: 'poisson';
  /** Inclusion probability. */
  readonly sampleRate: number;
}

/** Exported position of a {@link ShuffleSampler}. */
export interface ShuffleSamplerState extends BatchSamplerStateBase {
  /** Discriminant. */
  readonly kind: 'shuffle';
  /** Examples per batch. */
  readonly batchSize: number;
  /** Last-batch policy. */
  readonly lastBatch: LastBatchPolicy;
  /** The current epoch's permutation, or `null` at an epoch boundary (the next epoch draws a new one). */
  readonly order: readonly number[] | null;
}

/** Exported position of a {@link CyclicSampler}. */
export interface CyclicSamplerState extends BatchSamplerStateBase {
  /** Discriminant. */
  readonly kind: 'cyclic';
  /** Largest batch size requested. */
  readonly batchSize: number;
  /** The fixed order the batches are cut from: the permutation drawn once, or `null` for the identity. */
  readonly order: readonly number[] | null;
}

/** Exported position of a {@link CyclicPoissonSampler}. */
export interface CyclicPoissonSamplerState extends BatchSamplerStateBase {
  /** Discriminant. */
  readonly kind: 'cyclicPoisson';
  /** Number of groups. */
  readonly bands: number;
  /** Inclusion probability within the active group. */
  readonly sampleRate: number;
  /** The permutation drawn once; group j holds its positions [floor(jN / bands), floor((j + 1)N / bands)). */
  readonly order: readonly number[];
}

/** Exported position of a {@link BallsInBinsSampler}. */
export interface BallsInBinsSamplerState extends BatchSamplerStateBase {
  /** Discriminant. */
  readonly kind: 'ballsInBins';
  /** Number of bins. */
  readonly binCount: number;
  /** The current epoch's bin of every example, or `null` at an epoch boundary. */
  readonly binOfExample: readonly number[] | null;
}

/** The exported state of any of the samplers, discriminated by `kind`. */
export type BatchSamplerState =
  | PoissonSamplerState
  | ShuffleSamplerState
  | CyclicSamplerState
  | CyclicPoissonSamplerState
  | BallsInBinsSamplerState;

/** Largest supported dataset: indices must fit an Int32Array. */
export const MAX_DATASET_SIZE = 2 ** 31 - 1;

/** Validates the dataset size shared by all samplers. */
export function assertDatasetSize(datasetSize: number): void {
  assertInteger('datasetSize', datasetSize, 1, MAX_DATASET_SIZE);
}

/** Validates that `rng` implements {@link RandomGenerator}. */
export function assertRandomGenerator(rng: RandomGenerator): void {
  if (
    rng === null ||
    typeof rng !== 'object' ||
    typeof rng.nextUint32 !== 'function' ||
    typeof rng.nextInt !== 'function' ||
    typeof rng.nextFloat64 !== 'function'
  ) {
    throw new TypeError('rng must be a RandomGenerator (SeededRandom or SecureRandom)');
  }
}

/** The generator part of an exported state. */
export function exportRngState(rng: RandomGenerator): SeededRandomState | null {
  return rng instanceof SeededRandom ? rng.exportState() : null;
}

/**
 * Checks an exported state against the sampler it is restored into: kind, dataset size, parameters and a valid
 * step count.
 */
export function assertStateMatches(
  state: BatchSamplerState,
  expected: { kind: BatchSamplerState['kind']; datasetSize: number; parameters: Record<string, unknown> },
): void {
  if (typeof state !== 'object' || state === null || state.kind !== expected.kind) {
    throw new TypeError(`state must be a ${expected.kind} sampler state, got kind ${String(state?.kind)}`);
  }
  if (state.datasetSize !== expected.datasetSize) {
    throw new RangeError(
      `state.datasetSize must equal this sampler's datasetSize ${expected.datasetSize}, got ${String(state.datasetSize)}`,
    );
  }
  for (const [name, value] of Object.entries(expected.parameters)) {
    const actual = (state as unknown as Record<string, unknown>)[name];
    if (actual !== value) {
      throw new RangeError(
        `state.${name} must equal this sampler's ${name} ${String(value)}, got ${String(actual)}`,
      );
    }
  }
  assertInteger('state.step', state.step, 0);
}

/**
 * Rewinds the generator to an exported stream. A seeded stream needs a {@link SeededRandom}; a state without a
 * stream (exported from a sampler over a {@link SecureRandom}) cannot continue a seeded generator, so that
 * mismatch is refused as well.
 */
export function restoreRngState(rng: RandomGenerator, saved: SeededRandomState | null): void {
  if (saved !== null) {
    if (!(rng instanceof SeededRandom)) {
      throw new TypeError(
        'state holds a seeded generator stream, but this sampler does not use a SeededRandom',
      );
    }
    rng.restoreState(saved);
  } else if (rng instanceof SeededRandom) {
    throw new TypeError(
      'state holds no generator stream (secure sampler), but this sampler uses a SeededRandom',
    );
  }
}

/** Throws unless `order` is a permutation of `[0, size)`; returns it as an Int32Array. */
export function permutationFromState(
  name: string,
  order: readonly number[] | null,
  size: number,
): Int32Array {
  if (!Array.isArray(order) || order.length !== size) {
    throw new TypeError(`${name} must be an array of ${size} indices`);
  }
  const seen = new Uint8Array(size);
  const result = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const index = order[i];
    if (!Number.isInteger(index) || index < 0 || index >= size || seen[index] === 1) {
      throw new RangeError(`${name} must be a permutation of [0, ${size}), entry ${i} is ${String(index)}`);
    }
    seen[index] = 1;
    result[i] = index;
  }
  return result;
}

/** Fisher–Yates shuffle of the identity permutation, in place, with unbiased `nextInt` draws. */
export function randomPermutation(size: number, rng: RandomGenerator): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  for (let i = size - 1; i > 0; i--) {
    const j = rng.nextInt(0, i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
