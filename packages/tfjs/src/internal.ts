/**
 * Internals of @cnm/tfjs for tools built on it (benchmarks, profilers, other front ends): the run's planning and
 * accounting, the option validation, and the individual wasm training kernels. Not covered by semver: import
 * from `@cnm/tfjs/internal` only what the public entry does not offer.
 */
export {
  buildMechanism,
  type NoiseSplit,
  RunAccounting,
  realParticipationOf,
} from './accounting';
export type { ResolvedAdaptiveClipping } from './adaptive-clipping-options';
export { clippingFromMaxGradNorm, releaseBatch, validateClipping } from './clipping';
export { type EngineConfig, normaliseOptions, validateConfig } from './engine-config';
export { type CheckedOptions, KNOWN_OPTIONS, OPTION_RULES } from './option-rules';
export type { PrivateTrainerParts } from './private-trainer';
export { bandedMomentum, planRun, type RunShape } from './run-plan';
export { batchMatMulWasm, batchMatMulWasmConfig } from './wasm-kernels/batch-mat-mul';
export {
  conv2DBackpropFilterWasm,
  conv2DBackpropFilterWasmConfig,
} from './wasm-kernels/conv2d-backprop-filter';
export {
  conv2DBackpropInputWasm,
  conv2DBackpropInputWasmConfig,
} from './wasm-kernels/conv2d-backprop-input';
export {
  depthwiseConv2dBackpropFilterWasm,
  depthwiseConv2dBackpropFilterWasmConfig,
  depthwiseConv2dBackpropInputWasm,
  depthwiseConv2dBackpropInputWasmConfig,
} from './wasm-kernels/depthwise-conv2d-backprop';
export { fusedMatMulWasm, fusedMatMulWasmConfig } from './wasm-kernels/fused-mat-mul';
export { identityWasm, identityWasmConfig } from './wasm-kernels/identity';
export { maxPoolWasm, maxPoolWasmConfig } from './wasm-kernels/max-pool';
export { maxPoolGradWasm, maxPoolGradWasmConfig } from './wasm-kernels/max-pool-grad';
export { sumWasm, sumWasmConfig } from './wasm-kernels/sum';
export { unsortedSegmentSumWasm, unsortedSegmentSumWasmConfig } from './wasm-kernels/unsorted-segment-sum';
