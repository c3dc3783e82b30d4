import {
  assertDatasetSize,
  assertRandomGenerator,
  assertStateMatches,
  type BatchSampler,
  exportRngState,
  type PoissonSamplerState,
  randomnessOf,
  restoreRngState,
  type SamplerRandomness,
} from './batch-sampler';
import type { PoissonParticipation } from './participation';
import type { RandomGenerator } from './random-generator';
import { assertInRange } from './validate';

/** Options of {@link PoissonSampler}. */
export interface PoissonSamplerOptions {
  /** Number of examples N (integer in [1, 2^31 - 1]). */
  readonly datasetSize: number;
  /** Inclusion probability q of every example at every step, in (0, 1]. */
  readonly sampleRate: number;
  /** Source of randomness: {@link SecureRandom} for real privacy, {@link SeededRandom} for reproducible runs. */
  readonly rng: RandomGenerator;
}

/**
 * Poisson subsampling: at every step each of the N examples is in the batch independently with probability q,
 * as the privacy amplification by subsampling analysis assumes. Batch sizes are Binomial(N, q); an empty batch
 * is yielded as an empty array, never skipped (skipping it would change the distribution the accounting
 * assumes).
 *
 * Implementation: instead of N Bernoulli draws per step, the gaps between included indices are drawn from their
 * exact geometric law, `gap = floor(ln U / ln(1 - q))` with `U` uniform in (0, 1], so that
 * `P(gap >= k) = (1 - q)^k`: O(qN) draws per step.
 *
 * `stepsPerEpoch` is the convention `max(1, round(1 / q))` (one expected pass over the data); it affects only
 * epoch counting, never the sampling.
 */
export class PoissonSampler implements BatchSampler {
  /** {@inheritDoc BatchSampler.datasetSize} */
  readonly datasetSize: number;
  /** Inclusion probability q. */
  readonly sampleRate: number;
  /** {@inheritDoc BatchSampler.participation} */
  readonly participation: PoissonParticipation;
  /** {@inheritDoc BatchSampler.stepsPerEpoch} */
  readonly stepsPerEpoch: number;
  /** {@inheritDoc BatchSampler.randomness} */
  readonly randomness: SamplerRandomness;
  private readonly rng: RandomGenerator;
  private readonly logOneMinusRate: number;
  private currentStep = 0;

  /** @throws RangeError naming the parameter when `datasetSize` or `sampleRate` is out of range. */
  constructor(options: PoissonSamplerOptions) {
    assertDatasetSize(options.datasetSize);
    assertInRange('sampleRate', options.sampleRate, { min: 0, max: 1, minExclusive: true });
    assertRandomGenerator(options.rng);
    this.datasetSize = options.datasetSize;
    this.sampleRate = options.sampleRate;
    this.rng = options.rng;
    this.randomness = randomnessOf(options.rng);
    this.logOneMinusRate = Math.log1p(-options.sampleRate);
    this.participation = { kind: 'poisson', sampleRate: options.sampleRate };
    this.stepsPerEpoch = Math.max(1, Math.round(1 / options.sampleRate));
  }

  /** {@inheritDoc BatchSampler.step} */
  get step(): number {
    return this.currentStep;
  }

  /** Returns the next batch: the included indices in increasing order (possibly none). */
  nextBatch(): Int32Array {
    const size = this.datasetSize;
    this.currentStep++;
    if (this.sampleRate === 1) {
      const all = new Int32Array(size);
      for (let i = 0; i < size; i++) all[i] = i;
      return all;
    }
    let batch = new Int32Array(Math.max(16, Math.ceil(size * this.sampleRate * 1.25)));
    let count = 0;
    let index = -1;
    for (;;) {
      const gap = Math.floor(Math.log(1 - this.rng.nextFloat64()) / this.logOneMinusRate);
      index += gap + 1;
      if (index >= size) break;
      if (count === batch.length) {
        const grown = new Int32Array(Math.min(size, batch.length * 2));
        grown.set(batch);
        batch = grown;
      }
      batch[count++] = index;
    }
    return batch.slice(0, count);
  }

  /** {@inheritDoc BatchSampler.exportState} */
  exportState(): PoissonSamplerState {
    return {
      kind: 'poisson',
      datasetSize: this.datasetSize,
      sampleRate: this.sampleRate,
      step: this.currentStep,
      rng: exportRngState(this.rng),
    };
  }

  /** {@inheritDoc BatchSampler.restoreState} */
  restoreState(state: PoissonSamplerState): void {
    assertStateMatches(state, {
      kind: 'poisson',
      datasetSize: this.datasetSize,
      parameters: { sampleRate: this.sampleRate },
    });
    restoreRngState(this.rng, state.rng);
    this.currentStep = state.step;
  }
}
