import type { KernelConfig } from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter';
import { captureStockKernel } from './wasm-internals';

/** The kernels of the training pack, in registration order. */
const TRAINING_KERNELS: readonly KernelConfig[] = [conv2DBackpropFilterWasmConfig];

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
 * @returns the names of the kernels this call registered (empty when the pack was already registered).
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) {
      // Keep the stock kernel callable (replacements delegate to it) and restorable.
      captureStockKernel(config.kernelName);
      replacedStockConfigs.set(config.kernelName, current);
      unregisterKernel(config.kernelName, 'wasm');
    }
    registerKernel(config);
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
