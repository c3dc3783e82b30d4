export { BallsInBinsSampler, type BallsInBinsSamplerOptions } from './balls-in-bins-sampler';
export type {
  BallsInBinsSamplerState,
  BatchSampler,
  BatchSamplerState,
  BatchSamplerStateBase,
  CyclicPoissonSamplerState,
  CyclicSamplerState,
  PoissonSamplerState,
  SamplerRandomness,
  ShuffleSamplerState,
} from './batch-sampler';
export { CyclicPoissonSampler, type CyclicPoissonSamplerOptions } from './cyclic-poisson-sampler';
export { CyclicSampler, type CyclicSamplerOptions } from './cyclic-sampler';
export { type FillGaussianOptions, fillGaussian, sampleStandardNormal } from './gaussian';
export type {
  BallsInBinsParticipation,
  CyclicParticipation,
  CyclicPoissonParticipation,
  LastBatchPolicy,
  ParticipationPattern,
  PoissonParticipation,
  ShuffleParticipation,
} from './participation';
export { PoissonSampler, type PoissonSamplerOptions } from './poisson-sampler';
export type { RandomGenerator } from './random-generator';
export { SecureRandom } from './secure-random';
export { SeededRandom, type SeededRandomState } from './seeded-random';
export { ShuffleSampler, type ShuffleSamplerOptions } from './shuffle-sampler';
export { assertInRange, assertInteger } from './validate';
