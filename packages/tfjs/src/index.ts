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
