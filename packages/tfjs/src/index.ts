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
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  type WasmTrainingKernelOptions,
  wasmTrainingKernelNames,
} from './backends/register-wasm-training-kernels';
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
export { PrivacyEngine, type PrivacyEngineOptions } from './privacy-engine';
export {
  type AdaptiveClippingReport,
  type BltReport,
  BudgetExceededError,
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
  ExponentialWeightAverage,
  type ExponentialWeightAverageOptions,
  type ExponentialWeightAverageState,
} from './weight-average';
