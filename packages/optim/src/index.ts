export {
  CorrelatedNoise,
  type CorrelatedNoiseOptions,
  type CorrelatedNoiseState,
} from './correlated-noise';
export { DpAdamBc, type DpAdamBcOptions, type DpAdamBcState } from './dp-adam-bc';
export {
  DpOptimizer,
  type DpOptimizerOptions,
  type DpOptimizerStateBase,
  type NoiseOptions,
  type StepContext,
} from './dp-optimizer';
export { DpSgd, type DpSgdOptions, type DpSgdState } from './dp-sgd';
export { DpTfjsOptimizer, type DpTfjsOptimizerOptions, type DpTfjsOptimizerState } from './dp-tfjs-optimizer';
export type { GradientSums } from './gradient-sums';
export {
  cosineDecay,
  exponentialDecay,
  type LearningRate,
  type LearningRateSchedule,
  learningRateAt,
  linearWarmup,
  piecewiseConstant,
  stepDecay,
} from './learning-rate';
export { type ModeMechanism, type ModeMechanismOptions, modeMechanism } from './mode-mechanism';
export {
  createModeOptimizer,
  describeMode,
  MODE_NAMES,
  MODES,
  type ModeAccounting,
  type ModeDescription,
  type ModeName,
  type ModeOptimizerOptions,
  type ModeSampling,
  type ModeStrategyKind,
  modesWhere,
  type SamplerKind,
  strategyKindOf,
} from './modes';
export type { NoiseRandomness } from './noise-randomness';
export {
  type CorrelatedNoiseStateJson,
  correlatedNoiseStateFromJson,
  correlatedNoiseStateToJson,
  type DpAdamBcStateJson,
  type DpOptimizerState,
  type DpOptimizerStateJson,
  type DpSgdStateJson,
  type DpTfjsOptimizerStateJson,
  optimizerStateFromJson,
  optimizerStateToJson,
  type SavedOptimizerVariableJson,
  type TfjsOptimizerSlotsJson,
} from './state-json';
export type { SavedOptimizerVariable, TfjsOptimizerSlots } from './tfjs-optimizer-slots';
export {
  type AdamBcStepParameters,
  adamBcUpdate,
  type NumericArray,
  type SgdStepParameters,
  sgdUpdate,
} from './update-rules';
