import {
  assertDatasetSize,
  assertRandomGenerator,
  assertStateMatches,
  type BallsInBinsSamplerState,
  type BatchSampler,
  exportRngState,
  randomnessOf,
  restoreRngState,
  type SamplerRandomness,
} from './batch-sampler';
import type { BallsInBinsParticipation } from './participation';
import type { RandomGenerator } from './random-generator';
import { assertInteger } from './validate';

/** Options of {@link BallsInBinsSampler}. */
export interface BallsInBinsSamplerOptions {
  /** Number of examples N (integer in [1, 2^31 - 1]). */
  readonly datasetSize: number;
  /** Number of bins b, i.e. batches per epoch (integer in [1, datasetSize]); the expected batch size is N / b. */
  readonly binCount: number;
  /** Source of randomness for the bin assignment. */
  readonly rng: RandomGenerator;
}

/**
 * Balls-in-bins sampling (Chua et al. 2024, "Balls-and-Bins Sampling for DP-SGD"): at the start of every epoch
 * each example is thrown independently and uniformly into one of b bins; the bins, in order 0..b-1, are the
 * epoch's b batches. Each example participates exactly once per epoch. Batch sizes are Binomial(N, 1/b);
 * an empty bin is yielded as an empty batch.
 */
export class BallsInBinsSampler implements BatchSampler {
  /** {@inheritDoc BatchSampler.datasetSize} */
  readonly datasetSize: number;
  /** Number of bins (batches per epoch). */
  readonly binCount: number;
  /** {@inheritDoc BatchSampler.participation} */
  readonly participation: BallsInBinsParticipation;
  /** {@inheritDoc BatchSampler.stepsPerEpoch} */
  readonly stepsPerEpoch: number;
  /** {@inheritDoc BatchSampler.randomness} */
  readonly randomness: SamplerRandomness;
  private readonly rng: RandomGenerator;
  /** The current epoch's bin of every example, or null at an epoch boundary. */
  private binOfExample: Int32Array | null = null;
  /** Examples grouped by bin (increasing index within a bin), and the start of every bin in it. */
  private grouped = new Int32Array(0);
  private binStarts = new Int32Array(0);
  private currentStep = 0;

  /** @throws RangeError naming the parameter when `datasetSize` or `binCount` is out of range. */
  constructor(options: BallsInBinsSamplerOptions) {
    assertDatasetSize(options.datasetSize);
    assertInteger('binCount', options.binCount, 1, options.datasetSize);
    assertRandomGenerator(options.rng);
    this.datasetSize = options.datasetSize;
    this.binCount = options.binCount;
    this.rng = options.rng;
    this.randomness = randomnessOf(options.rng);
    this.stepsPerEpoch = options.binCount;
    this.participation = { kind: 'ballsInBins', binCount: options.binCount };
  }

  /** {@inheritDoc BatchSampler.step} */
  get step(): number {
    return this.currentStep;
  }

  /** Returns bin `step mod b` of the current epoch's assignment (drawn at the epoch's first step). */
  nextBatch(): Int32Array {
    const bin = this.currentStep % this.binCount;
    if (this.binOfExample === null) {
      const assignment = new Int32Array(this.datasetSize);
      for (let i = 0; i < this.datasetSize; i++) assignment[i] = this.rng.nextInt(0, this.binCount);
      this.useAssignment(assignment);
    }
    const batch = this.grouped.slice(this.binStarts[bin]!, this.binStarts[bin + 1]!);
    this.currentStep++;
    if (bin === this.binCount - 1) this.binOfExample = null;
    return batch;
  }

  /** Groups the examples by bin with a counting sort. */
  private useAssignment(assignment: Int32Array): void {
    const starts = new Int32Array(this.binCount + 1);
    for (let i = 0; i < assignment.length; i++) starts[assignment[i]! + 1]!++;
    for (let b = 0; b < this.binCount; b++) starts[b + 1]! += starts[b]!;
    const next = starts.slice(0, this.binCount);
    const grouped = new Int32Array(assignment.length);
    for (let i = 0; i < assignment.length; i++) grouped[next[assignment[i]!]!++] = i;
    this.binOfExample = assignment;
    this.grouped = grouped;
    this.binStarts = starts;
  }

  /** {@inheritDoc BatchSampler.exportState} */
  exportState(): BallsInBinsSamplerState {
    return {
      kind: 'ballsInBins',
      datasetSize: this.datasetSize,
      binCount: this.binCount,
      step: this.currentStep,
      binOfExample: this.binOfExample === null ? null : Array.from(this.binOfExample),
      rng: exportRngState(this.rng),
    };
  }

  /** {@inheritDoc BatchSampler.restoreState} */
  restoreState(state: BallsInBinsSamplerState): void {
    assertStateMatches(state, {
      kind: 'ballsInBins',
      datasetSize: this.datasetSize,
      parameters: { binCount: this.binCount },
    });
    const midEpoch = state.step % this.binCount !== 0;
    let assignment: Int32Array | null = null;
    if (midEpoch) {
      const saved = state.binOfExample;
      if (!Array.isArray(saved) || saved.length !== this.datasetSize) {
        throw new TypeError(
          `state.binOfExample must be an array of ${this.datasetSize} bins in the middle of an epoch`,
        );
      }
      assignment = new Int32Array(this.datasetSize);
      for (let i = 0; i < saved.length; i++) {
        const bin = saved[i];
        if (!Number.isInteger(bin) || bin < 0 || bin >= this.binCount) {
          throw new RangeError(`state.binOfExample entries must be integers in [0, ${this.binCount - 1}]`);
        }
        assignment[i] = bin;
      }
    }
    restoreRngState(this.rng, state.rng);
    if (assignment === null) this.binOfExample = null;
    else this.useAssignment(assignment);
    this.currentStep = state.step;
  }
}
