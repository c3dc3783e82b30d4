// Importing the package registers tfjs's cpu backend (see privacy-engine.ts); selectBackend() picks the fast one.
import '@tensorflow/tfjs-backend-cpu';
import { registerChainedOps } from './tfjs-setup/register-chained-ops';

// tfjs-layers calls chained tensor methods that tfjs-core alone does not define (recurrent layers' default
// initializer among them): define the missing ones as soon as the library is imported.
registerChainedOps();

export type { AccountingLabel } from './accounting';
export type { AuditPrivacyOptions, CanaryKind } from './audit/audit-options';
export { type AuditResult, auditPrivacy } from './audit/audit-privacy';
export type { ScoreHistogram } from './audit/one-run-guesses';
export { REFUSED_BACKENDS, refusedBackendReason } from './backend/refused-backends';
export {
  type BackendAttempt,
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
  type TrainingBackendName,
} from './backend/select-backend';
export {
  type BandCandidate,
  type BandChoiceProblem,
  bandCandidate,
  chooseBands,
  compareBandCandidates,
  maxBandsOf,
} from './band-choice';
export { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from './checkpoint';
export type { ClippedGradientsProvider, ClippedGradientsRequest } from './clipped-gradients-provider';
export {
  ADAPTIVE_THRESHOLD_RANGE,
  AdaptiveClipNorm,
  type AdaptiveClipNormOptions,
  type AdaptiveClipNormState,
  type AdaptiveClipping,
  CLIP_NORM_EPSILON,
  type ClippingOptions,
  clipFactor,
  clippingSensitivity,
  type FlatClipping,
  type PerLayerClipping,
} from './clipping';
export {
  type ClippedGradients,
  type ClippedGradientsOptions,
  computeClippedGradients,
  type PerExampleLossFn,
  type PerExampleMethod,
} from './compute-clipped-gradients';
export {
  type DataChange,
  type DataFingerprint,
  DataMismatchError,
  fingerprintData,
} from './data-fingerprint';
export {
  ADAPTIVE_CLIPPING_ALIASES,
  type AdaptiveClippingOptions,
  type MakePrivateOptions,
  type MakePrivateWithEpsilonOptions,
  OPTION_ALIASES,
  PARTICIPATION_NAMES,
  type ParticipationName,
  type PrivateTrainingOptions,
} from './engine-options';
export type { EvaluateOptions, EvaluationResult } from './evaluation';
export type {
  FitCallbacks,
  FitEndReason,
  FitHistory,
  FitLoopOptions,
  FitTrainer,
  TrainLogs,
} from './fit-loop';
export {
  type FitTensorsHistory,
  fitTensors,
  type LayersCallback,
  type PrivateModelFitArgs,
  type TensorFitTrainer,
} from './fit-tensors';
export {
  type AttentionInitializer,
  type LayerShape,
  MultiHeadAttention,
  type MultiHeadAttentionConfig,
  multiHeadAttention,
} from './layers/multi-head-attention';
export { LOSS_NAMES, type LossName, type PerExampleLossOptions, perExampleLoss } from './losses';
export {
  METRIC_NAMES,
  type Metric,
  type MetricFn,
  type MetricName,
  type OutputKind,
  outputKindOf,
} from './metrics';
export {
  NON_FINITE_PARTS,
  NonFiniteExamplesError,
  type NonFinitePart,
  type NonFinitePolicy,
} from './non-finite';
export {
  collectTrainableLayers,
  type TrainableLayer,
  type TrainableVariables,
  trainableVariables,
} from './per-example/model-layers';
export { type ConvGeometry, extractPatches } from './per-example/patches';
export {
  getLayerRule,
  registerLayerRule,
  supportedLayerClasses,
  unregisterLayerRule,
} from './per-example/registry';
export { setPerExampleSimdEnabled } from './per-example/simd-per-example';
export type {
  AnyLayer,
  ConvolutionContribution,
  GradientContribution,
  LayerCallKwargs,
  LayerRule,
  MaterializedContribution,
  OuterProductContribution,
  RecordedForward,
  RecordingContext,
  RowLookupContribution,
} from './per-example/types';
export type { ReturnPerExample } from './per-example-outputs';
export { PrivacyEngine, type PrivacyEngineOptions } from './privacy-engine';
export type {
  AdaptiveClippingReport,
  BandMfReport,
  BltReport,
  PrivacyReport,
  PrivacyTarget,
  RunReport,
} from './privacy-report';
export { BudgetExceededError } from './private-step';
export { type FitOptions, PrivateTrainer, type TrainCallbacks } from './private-trainer';
export { type ProgressLine, renderProgressBar } from './progress';
export type { SavedAccountant, SavedWeight, TrainerState } from './trainer-state';
export type {
  EngineData,
  ExampleDataset,
  ExampleIterator,
  TensorData,
  TrainingData,
  ValidationData,
  XsYsData,
} from './training-data';
export {
  PER_EXAMPLE_CHECK_EXAMPLES,
  PER_EXAMPLE_CHECK_TOLERANCE,
  type PerExampleCheckOptions,
  type PerExampleCheckResult,
  PerExampleMismatchError,
  verifyPerExampleGradients,
} from './verify-per-example';
export { registerKernelFixes } from './wasm-kernels/kernel-fixes';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  type WasmTrainingKernelOptions,
  wasmTrainingKernelNames,
} from './wasm-kernels/register-wasm-training-kernels';
export {
  RESIZE_NEAREST_NEIGHBOR_GRAD_BACKENDS,
  registerResizeNearestNeighborGradFix,
  resizeNearestNeighborGradValues,
} from './wasm-kernels/resize-nearest-neighbor-grad';
export {
  loadWasmSimdKernels,
  setWasmSimdKernelsEnabled,
  type WasmSimdKernelsStatus,
  wasmSimdKernelsStatus,
} from './wasm-kernels/simd-kernels';
export {
  ExponentialWeightAverage,
  type ExponentialWeightAverageOptions,
  type ExponentialWeightAverageState,
} from './weight-average';
