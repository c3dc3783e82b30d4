import {
  assertDatasetSize,
  assertRandomGenerator,
  assertStateMatches,
  type BatchSampler,
  type CyclicPoissonSamplerState,
  exportRngState,
  permutationFromState,
  randomnessOf,
  randomPermutation,
  restoreRngState,
  type SamplerRandomness,
} from './batch-sampler';
import type { CyclicPoissonParticipation } from './participation';
import type { RandomGenerator } from './random-generator';
import { assertInRange, assertInteger } from './validate';

/** Options of {@link CyclicPoissonSampler}. */
export interface CyclicPoissonSamplerOptions {
  /** Number of examples N (integer in [1, 2^31 - 1]). */
  readonly datasetSize: number;
  /** Number of fixed groups b (integer in [1, datasetSize]); the bands of the banded strategy. */
  readonly bands: number;
  /** Inclusion probability p of each example of the active group, in (0, 1]. Expected batch size p · N / b. */
  readonly sampleRate: number;
  /**
   * Source of randomness for the one-time split into groups and for every step's Poisson draws:
   * {@link SecureRandom} for real privacy, {@link SeededRandom} for reproducible runs.
   */
  readonly rng: RandomGenerator;
}

/**
 * Cyclic Poisson sampling for amplified banded matrix factorisation (Choquette-Choo et al. 2023, arXiv 2306.08153):
 * the N examples are split once, at random, into `bands` groups of `floor(N / b)` or `ceil(N / b)` examples (group
 * j holds positions `[floor(jN / b), floor((j + 1)N / b))` of a random permutation); step t includes each example of
 * group `t mod bands` independently with probability `sampleRate`, and no other example. Batches are the included
 * indices in increasing order, possibly empty (never skipped). Declared as
 * `{ kind: 'cyclicPoisson', bands, sampleRate }`.
 *
 * `stepsPerEpoch` is the convention `max(1, round(bands / sampleRate))`, one expected pass over the data (N / B steps
 * for the expected batch size B = p N / b); it affects only epoch counting, never the sampling.
 */
export class CyclicPoissonSampler implements BatchSampler {
  /** {@inheritDoc BatchSampler.datasetSize} */
  readonly datasetSize: number;
  /** Number of groups b. */
  readonly bands: number;
  /** Inclusion probability p within the active group. */
  readonly sampleRate: number;
  /** {@inheritDoc BatchSampler.participation} */
  readonly participation: CyclicPoissonParticipation;
  /** {@inheritDoc BatchSampler.stepsPerEpoch} */
  readonly stepsPerEpoch: number;
  /** {@inheritDoc BatchSampler.randomness} */
  readonly randomness: SamplerRandomness;
  private readonly rng: RandomGenerator;
  private readonly logOneMinusRate: number;
  private order: Int32Array;
  private currentStep = 0;

  /** @throws RangeError naming the parameter when `datasetSize`, `bands` or `sampleRate` is out of range. */
  constructor(options: CyclicPoissonSamplerOptions) {
    assertDatasetSize(options.datasetSize);
    assertInteger('bands', options.bands, 1, options.datasetSize);
    assertInRange('sampleRate', options.sampleRate, { min: 0, max: 1, minExclusive: true });
    assertRandomGenerator(options.rng);
    this.datasetSize = options.datasetSize;
    this.bands = options.bands;
    this.sampleRate = options.sampleRate;
    this.rng = options.rng;
    this.randomness = randomnessOf(options.rng);
    this.logOneMinusRate = Math.log1p(-options.sampleRate);
    this.participation = { kind: 'cyclicPoisson', bands: options.bands, sampleRate: options.sampleRate };
    this.stepsPerEpoch = Math.max(1, Math.round(options.bands / options.sampleRate));
    this.order = randomPermutation(options.datasetSize, options.rng);
  }

  /** {@inheritDoc BatchSampler.step} */
  get step(): number {
    return this.currentStep;
  }

  /** The examples of group `group` (0 ≤ group < bands), in increasing order. */
  groupMembers(group: number): Int32Array {
    assertInteger('group', group, 0, this.bands - 1);
    const { start, end } = this.groupRange(group);
    return this.order.slice(start, end).sort();
  }

  private groupRange(group: number): { start: number; end: number } {
    const n = this.datasetSize;
    const b = this.bands;
    return { start: Math.floor((group * n) / b), end: Math.floor(((group + 1) * n) / b) };
  }

  /** Returns the next batch: the included examples of the active group in increasing order (possibly none). */
  nextBatch(): Int32Array {
    const { start, end } = this.groupRange(this.currentStep % this.bands);
    this.currentStep++;
    const size = end - start;
    let batch: Int32Array;
    if (this.sampleRate === 1) {
      batch = this.order.slice(start, end);
    } else {
      // Gaps between included positions follow their exact geometric law: P(gap ≥ k) = (1 - p)^k.
      batch = new Int32Array(Math.max(16, Math.ceil(size * this.sampleRate * 1.25)));
      let count = 0;
      let position = -1;
      for (;;) {
        const gap = Math.floor(Math.log(1 - this.rng.nextFloat64()) / this.logOneMinusRate);
        position += gap + 1;
        if (position >= size) break;
        if (count === batch.length) {
          const grown = new Int32Array(Math.min(size, batch.length * 2));
          grown.set(batch);
          batch = grown;
        }
        batch[count++] = this.order[start + position] as number;
      }
      batch = batch.slice(0, count);
    }
    return batch.sort();
  }

  /** {@inheritDoc BatchSampler.exportState} */
  exportState(): CyclicPoissonSamplerState {
    return {
      kind: 'cyclicPoisson',
      datasetSize: this.datasetSize,
      bands: this.bands,
      sampleRate: this.sampleRate,
      step: this.currentStep,
      rng: exportRngState(this.rng),
      order: Array.from(this.order),
    };
  }

  /** {@inheritDoc BatchSampler.restoreState} */
  restoreState(state: CyclicPoissonSamplerState): void {
    assertStateMatches(state, {
      kind: 'cyclicPoisson',
      datasetSize: this.datasetSize,
      parameters: { bands: this.bands, sampleRate: this.sampleRate },
    });
    const order = permutationFromState('state.order', state.order, this.datasetSize);
    restoreRngState(this.rng, state.rng);
    this.order = order;
    this.currentStep = state.step;
  }
}
