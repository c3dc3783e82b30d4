// Importing the package registers tfjs's cpu backend (see privacy-engine.ts); selectBackend() picks the fast one.
import '@tensorflow/tfjs-backend-cpu';
import { registerChainedOps } from './tfjs-setup/register-chained-ops';

// tfjs-layers calls chained tensor methods that tfjs-core alone does not define (recurrent layers' default
// initializer among them): define the missing ones as soon as the library is imported.
registerChainedOps();

export {
  type AccountingLabel,
  buildMechanism,
  type NoiseSplit,
  planRun,
  RunAccounting,
  type RunShape,
  realParticipationOf,
} from './accounting';
export { batchMatMulWasm, batchMatMulWasmConfig } from './backends/batch-mat-mul';
export {
  conv2DBackpropFilterWasm,
  conv2DBackpropFilterWasmConfig,
} from './backends/conv2d-backprop-filter';
export {
  conv2DBackpropInputWasm,
  conv2DBackpropInputWasmConfig,
} from './backends/conv2d-backprop-input';
export {
  depthwiseConv2dBackpropFilterWasm,
  depthwiseConv2dBackpropFilterWasmConfig,
  depthwiseConv2dBackpropInputWasm,
  depthwiseConv2dBackpropInputWasmConfig,
} from './backends/depthwise-conv2d-backprop';
export { fusedMatMulWasm, fusedMatMulWasmConfig } from './backends/fused-mat-mul';
export { identityWasm, identityWasmConfig } from './backends/identity';
export { maxPoolWasm, maxPoolWasmConfig } from './backends/max-pool';
export { maxPoolGradWasm, maxPoolGradWasmConfig } from './backends/max-pool-grad';
export { REFUSED_BACKENDS, refusedBackendReason } from './backends/refused-backends';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  type WasmTrainingKernelOptions,
  wasmTrainingKernelNames,
} from './backends/register-wasm-training-kernels';
export {
  RESIZE_NEAREST_NEIGHBOR_GRAD_BACKENDS,
  registerResizeNearestNeighborGradFix,
  resizeNearestNeighborGradValues,
} from './backends/resize-nearest-neighbor-grad';
export {
  type BackendAttempt,
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
  type TrainingBackendName,
} from './backends/select-backend';
export {
  loadWasmSimdKernels,
  setWasmSimdKernelsEnabled,
  type WasmSimdKernelsStatus,
  wasmSimdKernelsStatus,
} from './backends/simd-kernels';
export { sumWasm, sumWasmConfig } from './backends/sum';
export { unsortedSegmentSumWasm, unsortedSegmentSumWasmConfig } from './backends/unsorted-segment-sum';
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
  adaptiveGradientNoiseMultiplier,
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
  type EngineConfig,
  type EngineData,
  type MakePrivateOptions,
  type MakePrivateWithEpsilonOptions,
  normaliseOptions,
  OPTION_ALIASES,
  PARTICIPATION_NAMES,
  type ParticipationName,
  type PrivateTrainingOptions,
  type ResolvedAdaptiveClipping,
  validateConfig,
} from './engine-config';
export { fitTensors, type LayersCallback, type PrivateModelFitArgs } from './fit-tensors';
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
export { collectTrainableLayers, type TrainableLayer } from './per-example/model-layers';
export { type ConvGeometry, extractPatches } from './per-example/patches';
export { setPerExampleSimdEnabled } from './per-example/per-example-wasm';
export {
  getLayerRule,
  registerLayerRule,
  supportedLayerClasses,
  unregisterLayerRule,
} from './per-example/registry';
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
export {
  type AdaptiveClippingReport,
  type BandMfReport,
  type BltReport,
  BudgetExceededError,
  type EvaluateOptions,
  type EvaluationResult,
  type FitEndReason,
  type FitHistory,
  type FitOptions,
  type PrivacyReport,
  type PrivacyTarget,
  PrivateTrainer,
  type PrivateTrainerParts,
  type RunReport,
  type SavedAccountant,
  type SavedWeight,
  type TrainableVariables,
  type TrainCallbacks,
  type TrainerState,
  type TrainLogs,
  trainableVariables,
} from './private-trainer';
export { type ProgressLine, renderProgressBar } from './progress';
export type {
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
export {
  ExponentialWeightAverage,
  type ExponentialWeightAverageOptions,
  type ExponentialWeightAverageState,
} from './weight-average';
