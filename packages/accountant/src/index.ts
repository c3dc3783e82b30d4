export type { AccountantKind, AccountantState, ComposedEntryJson, PrivacyAccountant } from './accountant';
export {
  type AmplifiedBandMfEpsilonOptions,
  type AmplifiedBandMfRun,
  amplifiedBandMfCompositions,
  amplifiedBandMfEpsilon,
  amplifiedBandMfEvent,
  type CalibrateAmplifiedBandMfOptions,
  calibrateAmplifiedBandMf,
} from './amplified-band-mf';
export { type BrentBracket, type BrentOptions, brentRoot } from './brent';
export {
  type CalibrateGaussianOptions,
  calibrateGaussian,
  MAX_CALIBRATED_NOISE_MULTIPLIER,
  MIN_CALIBRATED_NOISE_MULTIPLIER,
} from './calibrate';
export {
  type CalibrateNoiseMultiplierOptions,
  type ComputeEpsilonOptions,
  calibrateNoiseMultiplier,
  computeEpsilon,
  type DpSgdAccountant,
  MAX_STEPS,
} from './compute';
export {
  ComposedEvent,
  type ComposedEventJson,
  type DpEvent,
  type DpEventJson,
  eventFromJSON,
  GaussianEvent,
  type GaussianEventJson,
  NoOpEvent,
  type NoOpEventJson,
  PoissonSampledEvent,
  type PoissonSampledEventJson,
  type SampledGaussianAtom,
  SelfComposedEvent,
  type SelfComposedEventJson,
  UnsupportedEventError,
} from './events';
export {
  type GaussianDeltaOptions,
  type GaussianEpsilonOptions,
  gaussianDelta,
  gaussianEpsilon,
} from './gaussian';
export { GaussianAccountant } from './gaussian-accountant';
export { DEFAULT_MAX_SUPPORT, type DiscretePld, type PldDirection, SupportTooLargeError } from './pld';
export {
  type ComposedPlds,
  composeSampledGaussians,
  DEFAULT_PLD_INTERVAL,
  DEFAULT_PLD_TAIL_MASS,
  PldAccountant,
  type PldAccountantOptions,
} from './pld-accountant';
export { DEFAULT_RDP_ORDERS, OPACUS_RDP_ORDERS, type RdpConversion, rdpSampledGaussian } from './rdp';
export { RdpAccountant, type RdpAccountantOptions } from './rdp-accountant';
