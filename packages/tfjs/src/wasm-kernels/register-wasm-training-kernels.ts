import type { KernelConfig } from '@tensorflow/tfjs-core';
import {
  _FusedMatMul,
  BatchMatMul,
  Conv2D,
  getKernel,
  Identity,
  MaxPool,
  registerKernel,
  Sum,
  Transpose,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { batchMatMulWasmConfig } from './batch-mat-mul';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input';
import { conv3dBackpropFilterWasmConfig, conv3dBackpropInputWasmConfig } from './conv3d-backprop';
import {
  depthwiseConv2dBackpropFilterWasmConfig,
  depthwiseConv2dBackpropInputWasmConfig,
} from './depthwise-conv2d-backprop';
import { fusedMatMulWasmConfig } from './fused-mat-mul';
import { identityWasmConfig } from './identity';
import { maxPoolWasmConfig } from './max-pool';
import { maxPoolGradWasmConfig } from './max-pool-grad';
import { sliceWasmConfigs } from './slice';
import { sumWasmConfig } from './sum';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum';
import { captureStockKernel } from './wasm-internals';

/** The kernels of the training pack, in registration order. */
const TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  conv2DBackpropInputWasmConfig,
  maxPoolGradWasmConfig,
  batchMatMulWasmConfig,
  fusedMatMulWasmConfig,
  sumWasmConfig,
  identityWasmConfig,
  depthwiseConv2dBackpropFilterWasmConfig,
  depthwiseConv2dBackpropInputWasmConfig,
  unsortedSegmentSumWasmConfig,
  maxPoolWasmConfig,
  conv3dBackpropInputWasmConfig,
  conv3dBackpropFilterWasmConfig,
  ...sliceWasmConfigs,
];

/** Stock wasm kernels the pack calls internally, captured before anything (a profiler, the pack) wraps them. */
const DELEGATE_KERNELS: readonly string[] = [
  _FusedMatMul,
  BatchMatMul,
  Conv2D,
  Identity,
  MaxPool,
  Sum,
  Transpose,
];

/** Options of {@link registerWasmTrainingKernels}. */
export interface WasmTrainingKernelOptions {
  /** Register only these kernels of the pack (default: all of {@link wasmTrainingKernelNames}). */
  kernels?: readonly string[];
}

/** Stock wasm kernel configs replaced by the pack, kept to restore them. */
const replacedStockConfigs = new Map<string, KernelConfig>();

/** Names of the kernels of the wasm training-kernel pack (added or replacing the stock wasm kernels). */
export function wasmTrainingKernelNames(): string[] {
  return TRAINING_KERNELS.map((config) => config.kernelName);
}

/**
 * Registers the training-kernel pack for the `wasm` backend of TensorFlow.js: the missing
 * `Conv2DBackpropFilter` and faster replacements for the wasm backend's slow training paths. Idempotent: a
 * second call changes nothing. Call it after importing `@tensorflow/tfjs-backend-wasm`, before or after
 * `tf.setBackend('wasm')`.
 *
 * @param options - optionally a subset of the pack's kernels to register.
 * @returns the names of the kernels this call registered (empty when the pack was already registered).
 * @throws RangeError for a kernel name outside the pack; Error when the wasm backend package is not loaded.
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): string[] {
  const known = wasmTrainingKernelNames();
  const selected = options.kernels ?? known;
  for (const name of selected) {
    if (!known.includes(name)) {
      throw new RangeError(`kernels: ${name} is not in the wasm training-kernel pack (${known.join(', ')})`);
    }
  }
  for (const name of DELEGATE_KERNELS) {
    if (captureStockKernel(name) === undefined) {
      throw new Error(
        `registerWasmTrainingKernels: the wasm backend's ${name} kernel is not registered; import ` +
          "'@tensorflow/tfjs-backend-wasm' (4.22.0) before registering the training kernels",
      );
    }
  }
  const registered: string[] = [];
  for (const config of TRAINING_KERNELS) {
    if (!selected.includes(config.kernelName)) continue;
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    let replacement = config;
    if (current !== undefined) {
      // Keep the stock kernel callable (replacements delegate to it) and restorable.
      captureStockKernel(config.kernelName);
      replacedStockConfigs.set(config.kernelName, current);
      unregisterKernel(config.kernelName, 'wasm');
      // The stock kernel's setup (binding its wasm function) must still run when the backend initialises
      // after this call, since the replacement delegates to it.
      if (current.setupFunc !== undefined) replacement = { ...config, setupFunc: current.setupFunc };
    }
    registerKernel(replacement);
    registered.push(config.kernelName);
  }
  return registered;
}

/**
 * Removes the training-kernel pack from the `wasm` backend and restores the stock kernels it replaced (used to
 * compare against stock tfjs). Idempotent.
 *
 * @returns the names of the kernels this call removed.
 */
export function unregisterWasmTrainingKernels(): string[] {
  const removed: string[] = [];
  for (const config of TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc !== config.kernelFunc) continue;
    unregisterKernel(config.kernelName, 'wasm');
    const stock = replacedStockConfigs.get(config.kernelName);
    if (stock !== undefined) registerKernel(stock);
    removed.push(config.kernelName);
  }
  return removed;
}
