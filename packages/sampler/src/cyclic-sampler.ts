import {
  assertDatasetSize,
  assertRandomGenerator,
  assertStateMatches,
  type BatchSampler,
  type CyclicSamplerState,
  permutationFromState,
  randomnessOf,
  randomPermutation,
  type SamplerRandomness,
} from './batch-sampler';
import type { CyclicParticipation } from './participation';
import type { RandomGenerator } from './random-generator';
import { assertInteger } from './validate';

/** Options of {@link CyclicSampler}. */
export interface CyclicSamplerOptions {
  /** Number of examples N (integer in [1, 2^31 - 1]). */
  readonly datasetSize: number;
  /** Largest batch size B (integer in [1, datasetSize]); the data are split into b = ceil(N / B) batches. */
  readonly batchSize: number;
  /**
   * Optional generator for the one-time random split. Without it the batches are contiguous index ranges.
   * It is used only in the constructor.
   */
  readonly rng?: RandomGenerator;
}

/**
 * Cyclic (min-separation) sampling for matrix-factorization mechanisms: the data are split once into
 * b = ceil(N / batchSize) fixed batches, visited in the same order every epoch. Every example participates
 * exactly once per epoch and its participations are exactly b steps apart: (b, k)-participation with k = the
 * number of epochs, declared as `{ kind: 'cyclic', minSeparation: b, participationsPerEpoch: 1 }`.
 *
 * The split is balanced: batch j holds positions `[floor(jN / b), floor((j + 1)N / b))` of the order, so sizes are
 * `floor(N / b)` or `ceil(N / b)` (at most batchSize) rather than b - 1 full batches and one remainder. The order
 * is a random permutation drawn once from `rng` when one is given, else the identity.
 */
export class CyclicSampler implements BatchSampler {
  /** {@inheritDoc BatchSampler.datasetSize} */
  readonly datasetSize: number;
  /** Largest batch size requested. */
  readonly batchSize: number;
  /** {@inheritDoc BatchSampler.participation} */
  readonly participation: CyclicParticipation;
  /** {@inheritDoc BatchSampler.stepsPerEpoch} */
  readonly stepsPerEpoch: number;
  /** {@inheritDoc BatchSampler.randomness} */
  readonly randomness: SamplerRandomness;
  private order: Int32Array;
  /** Whether `order` is a random permutation (else the identity, not stored in exported states). */
  private shuffled: boolean;
  private currentStep = 0;

  /** @throws RangeError naming the parameter when `datasetSize` or `batchSize` is out of range. */
  constructor(options: CyclicSamplerOptions) {
    assertDatasetSize(options.datasetSize);
    assertInteger('batchSize', options.batchSize, 1, options.datasetSize);
    if (options.rng !== undefined) assertRandomGenerator(options.rng);
    this.datasetSize = options.datasetSize;
    this.batchSize = options.batchSize;
    this.stepsPerEpoch = Math.ceil(options.datasetSize / options.batchSize);
    this.randomness = randomnessOf(options.rng);
    this.participation = {
      kind: 'cyclic',
      minSeparation: this.stepsPerEpoch,
      participationsPerEpoch: 1,
      batchSize: options.batchSize,
    };
    this.order =
      options.rng === undefined
        ? identity(options.datasetSize)
        : randomPermutation(options.datasetSize, options.rng);
    this.shuffled = options.rng !== undefined;
  }

  /** {@inheritDoc BatchSampler.step} */
  get step(): number {
    return this.currentStep;
  }

  /** Returns the fixed batch `step mod b`. */
  nextBatch(): Int32Array {
    const batch = this.batchAt(this.currentStep % this.stepsPerEpoch);
    this.currentStep++;
    return batch;
  }

  /** Returns batch `position` (in `[0, stepsPerEpoch)`) of the fixed split, without advancing. */
  batchAt(position: number): Int32Array {
    assertInteger('position', position, 0, this.stepsPerEpoch - 1);
    const start = Math.floor((position * this.datasetSize) / this.stepsPerEpoch);
    const end = Math.floor(((position + 1) * this.datasetSize) / this.stepsPerEpoch);
    return this.order.slice(start, end);
  }

  /** {@inheritDoc BatchSampler.exportState} */
  exportState(): CyclicSamplerState {
    return {
      kind: 'cyclic',
      datasetSize: this.datasetSize,
      batchSize: this.batchSize,
      step: this.currentStep,
      order: this.shuffled ? Array.from(this.order) : null,
      rng: null,
    };
  }

  /**
   * Continues exactly from an exported position. The stored split replaces this sampler's, so a resumed run keeps
   * the original batches even if this sampler was built with another generator.
   */
  restoreState(state: CyclicSamplerState): void {
    assertStateMatches(state, {
      kind: 'cyclic',
      datasetSize: this.datasetSize,
      parameters: { batchSize: this.batchSize },
    });
    this.shuffled = state.order !== null;
    this.order =
      state.order === null
        ? identity(this.datasetSize)
        : permutationFromState('state.order', state.order, this.datasetSize);
    this.currentStep = state.step;
  }
}

function identity(size: number): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return order;
}
