import type { KernelConfig } from '@tensorflow/tfjs-core';
import {
  Conv2D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  getKernel,
  MaxPool,
  MaxPoolGrad,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { maxPool3dGradConfigs, maxPool3dWasmConfig } from './max-pool3d';
import { registerWasmTrainingKernels } from './register-wasm-training-kernels';
import { registerResizeNearestNeighborGradFix } from './resize-nearest-neighbor-grad';

/**
 * Kernels of the wasm training pack that fix wrong results of tfjs-backend-wasm 4.22 (not only slow ones):
 * max pooling (the stock forward corrupts memory on some windows, the stock gradient disagrees with cpu) and
 * both Conv3D gradients (the stock input gradient mixes the examples of a batch).
 */
export const WASM_CORRECTNESS_KERNELS: readonly string[] = [
  MaxPool,
  MaxPoolGrad,
  Conv3DBackpropInputV2,
  Conv3DBackpropFilterV2,
];

function registerWhereLoaded(configs: readonly KernelConfig[]): string[] {
  const registered: string[] = [];
  for (const config of configs) {
    const current = getKernel(config.kernelName, config.backendName);
    // Absent: the backend package is not loaded (its own registration would replace ours later anyway).
    if (current === undefined || current.kernelFunc === config.kernelFunc) continue;
    unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
    registered.push(`${config.kernelName}/${config.backendName}`);
  }
  return registered;
}

/**
 * Registers correct kernels for the `cpu` and `wasm` backends of TensorFlow.js 4.22 (those that are loaded) in
 * place of stock kernels that are wrong: `ResizeNearestNeighborGrad` (cpu and wasm), `MaxPool3DGrad` (cpu and
 * wasm), `MaxPool3D` (wasm), and on wasm `MaxPool`, `MaxPoolGrad`, `Conv3DBackpropInputV2` and
 * `Conv3DBackpropFilterV2` from the training-kernel pack. The privacy engine calls it before every
 * clipped-gradient computation (some of these kernels mixed the examples of a batch, which breaks per-example
 * clipping); call it yourself to make ordinary (non-private) training right on those backends too. Cheap and
 * idempotent.
 *
 * @returns the `Kernel/backend` pairs this call registered (empty when all were in place).
 */
export function registerKernelFixes(): string[] {
  const registered = registerResizeNearestNeighborGradFix().map(
    (backend) => `ResizeNearestNeighborGrad/${backend}`,
  );
  registered.push(...registerWhereLoaded([maxPool3dWasmConfig, ...maxPool3dGradConfigs]));
  if (getKernel(Conv2D, 'wasm') !== undefined) {
    for (const name of registerWasmTrainingKernels({ kernels: WASM_CORRECTNESS_KERNELS })) {
      registered.push(`${name}/wasm`);
    }
  }
  return registered;
}
