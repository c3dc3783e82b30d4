/**
 * Participation patterns: what a batch sampler guarantees about how often, and how far apart, an example can be
 * in a batch. The privacy accounting must match the pattern (amplification by Poisson subsampling, or
 * (b, k)-participation for matrix-factorization mechanisms); the training engine reads `sampler.participation`
 * and refuses a mismatch.
 */

/** Poisson subsampling: every example joins every batch independently with probability `sampleRate`. */
export interface PoissonParticipation {
  /** Discriminant. */
  readonly kind: 'poisson';
  /** Inclusion probability q of each example in each batch, in (0, 1]. */
  readonly sampleRate: number;
}

/**
 * What happens to the `datasetSize mod batchSize` examples left over at the end of a shuffled epoch:
 * `'drop'` leaves them out of this epoch (every batch has exactly `batchSize` examples),
 * `'partial'` yields them as a last, smaller batch.
 */
export type LastBatchPolicy = 'drop' | 'partial';

/** Shuffling: a fresh uniformly random permutation every epoch, cut into consecutive batches. */
export interface ShuffleParticipation {
  /** Discriminant. */
  readonly kind: 'shuffle';
  /** Examples per batch (the last batch of an epoch may be smaller with `lastBatch: 'partial'`). */
  readonly batchSize: number;
  /** Policy for the leftover examples of an epoch. */
  readonly lastBatch: LastBatchPolicy;
}

/**
 * Cyclic (min-separation) participation: the data are split once into `minSeparation` fixed batches, visited in
 * the same order every epoch, so each example participates exactly once per epoch and any two participations
 * of the same example are exactly `minSeparation` steps apart. Over `steps` steps an example participates at
 * most `ceil(steps / minSeparation)` times: (b, k)-participation with b = `minSeparation`, k = the number of
 * (started) epochs.
 */
export interface CyclicParticipation {
  /** Discriminant. */
  readonly kind: 'cyclic';
  /** Steps between two participations of the same example (b); equals the sampler's `stepsPerEpoch`. */
  readonly minSeparation: number;
  /** Participations of every example per epoch: always 1. */
  readonly participationsPerEpoch: 1;
  /** Largest batch size; batch sizes are `floor` or `ceil` of `datasetSize / minSeparation`. */
  readonly batchSize: number;
}

/**
 * Balls-in-bins: every epoch, each example is put into one of `binCount` bins uniformly at random and
 * independently; the bins are the epoch's batches. Each example participates exactly once per epoch, at a
 * random step of it; batch sizes vary (Binomial(datasetSize, 1 / binCount)) and may be 0.
 */
export interface BallsInBinsParticipation {
  /** Discriminant. */
  readonly kind: 'ballsInBins';
  /** Number of bins, i.e. batches per epoch. */
  readonly binCount: number;
}

/**
 * Cyclic Poisson sampling (amplified banded matrix factorisation, Choquette-Choo et al. 2023): the data are split
 * once into `bands` fixed groups at random, and step t includes each example of group `t mod bands` independently
 * with probability `sampleRate`. An example can only be in steps of its own group, so any two of its participations
 * are at least `bands` steps apart (a multiple of `bands`), and each is Poisson-subsampled. With a `bands`-banded
 * strategy C this is as private as DP-SGD with Poisson rate `sampleRate` over ceil(steps / bands) steps.
 */
export interface CyclicPoissonParticipation {
  /** Discriminant. */
  readonly kind: 'cyclicPoisson';
  /** Number of groups b; participations of one example are a multiple of b steps apart. */
  readonly bands: number;
  /** Inclusion probability p of each example of the active group, in (0, 1]. */
  readonly sampleRate: number;
}

/** The participation guarantee of a batch sampler, discriminated by `kind`. */
export type ParticipationPattern =
  | PoissonParticipation
  | CyclicPoissonParticipation
  | ShuffleParticipation
  | CyclicParticipation
  | BallsInBinsParticipation;
