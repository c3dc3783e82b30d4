export {
  conv2DBackpropFilterWasm,
  conv2DBackpropFilterWasmConfig,
} from './backends/conv2d-backprop-filter';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelNames,
} from './backends/register-wasm-training-kernels';
