import {
  assertDatasetSize,
  assertRandomGenerator,
  assertStateMatches,
  type BatchSampler,
  exportRngState,
  permutationFromState,
  randomnessOf,
  randomPermutation,
  restoreRngState,
  type SamplerRandomness,
  type ShuffleSamplerState,
} from './batch-sampler';
import type { LastBatchPolicy, ShuffleParticipation } from './participation';
import type { RandomGenerator } from './random-generator';
import { assertInteger } from './validate';

/** Options of {@link ShuffleSampler}. */
export interface ShuffleSamplerOptions {
  /** Number of examples N (integer in [1, 2^31 - 1]). */
  readonly datasetSize: number;
  /** Examples per batch (integer in [1, datasetSize]). */
  readonly batchSize: number;
  /** Leftover policy when batchSize does not divide datasetSize; default `'drop'` (all batches full). */
  readonly lastBatch?: LastBatchPolicy;
  /** Source of randomness for the permutations. */
  readonly rng: RandomGenerator;
}

/**
 * Shuffling: at the start of every epoch a fresh uniformly random permutation of the N examples (Fisher–Yates
 * with unbiased integer draws) is cut into consecutive batches of `batchSize`.
 *
 * Last-batch policy: with `'drop'` (the default) an epoch has `floor(N / batchSize)` full batches and the
 * `N mod batchSize` examples at the end of the permutation sit that epoch out (different ones each epoch); with
 * `'partial'` an epoch has `ceil(N / batchSize)` batches, the last one smaller.
 */
export class ShuffleSampler implements BatchSampler {
  /** {@inheritDoc BatchSampler.datasetSize} */
  readonly datasetSize: number;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Policy for the leftover examples of an epoch. */
  readonly lastBatch: LastBatchPolicy;
  /** {@inheritDoc BatchSampler.participation} */
  readonly participation: ShuffleParticipation;
  /** {@inheritDoc BatchSampler.stepsPerEpoch} */
  readonly stepsPerEpoch: number;
  /** {@inheritDoc BatchSampler.randomness} */
  readonly randomness: SamplerRandomness;
  private readonly rng: RandomGenerator;
  private order: Int32Array | null = null;
  private currentStep = 0;

  /** @throws RangeError naming the parameter when `datasetSize`, `batchSize` or `lastBatch` is invalid. */
  constructor(options: ShuffleSamplerOptions) {
    assertDatasetSize(options.datasetSize);
    assertInteger('batchSize', options.batchSize, 1, options.datasetSize);
    const lastBatch = options.lastBatch ?? 'drop';
    if (lastBatch !== 'drop' && lastBatch !== 'partial') {
      throw new RangeError(`lastBatch must be 'drop' or 'partial', got ${String(lastBatch)}`);
    }
    assertRandomGenerator(options.rng);
    this.datasetSize = options.datasetSize;
    this.batchSize = options.batchSize;
    this.lastBatch = lastBatch;
    this.rng = options.rng;
    this.randomness = randomnessOf(options.rng);
    this.stepsPerEpoch =
      lastBatch === 'drop'
        ? Math.floor(options.datasetSize / options.batchSize)
        : Math.ceil(options.datasetSize / options.batchSize);
    this.participation = { kind: 'shuffle', batchSize: options.batchSize, lastBatch };
  }

  /** {@inheritDoc BatchSampler.step} */
  get step(): number {
    return this.currentStep;
  }

  /** Returns the next batch of the current epoch's permutation. */
  nextBatch(): Int32Array {
    const position = this.currentStep % this.stepsPerEpoch;
    if (this.order === null) this.order = randomPermutation(this.datasetSize, this.rng);
    const start = position * this.batchSize;
    const batch = this.order.slice(start, Math.min(start + this.batchSize, this.datasetSize));
    this.currentStep++;
    if (position === this.stepsPerEpoch - 1) this.order = null;
    return batch;
  }

  /** {@inheritDoc BatchSampler.exportState} */
  exportState(): ShuffleSamplerState {
    return {
      kind: 'shuffle',
      datasetSize: this.datasetSize,
      batchSize: this.batchSize,
      lastBatch: this.lastBatch,
      step: this.currentStep,
      order: this.order === null ? null : Array.from(this.order),
      rng: exportRngState(this.rng),
    };
  }

  /** {@inheritDoc BatchSampler.restoreState} */
  restoreState(state: ShuffleSamplerState): void {
    assertStateMatches(state, {
      kind: 'shuffle',
      datasetSize: this.datasetSize,
      parameters: { batchSize: this.batchSize, lastBatch: this.lastBatch },
    });
    const midEpoch = state.step % this.stepsPerEpoch !== 0;
    if (midEpoch && state.order === null) {
      throw new TypeError('state.order must hold the current permutation in the middle of an epoch');
    }
    const order =
      midEpoch && state.order !== null
        ? permutationFromState('state.order', state.order, this.datasetSize)
        : null;
    restoreRngState(this.rng, state.rng);
    this.order = order;
    this.currentStep = state.step;
  }
}
