import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Identity } from '@tensorflow/tfjs-core';
import { asWasmBackend, runStockKernel } from './wasm-internals';

/**
 * Identity (`tf.clone` and the autodiff bookkeeping that uses it) on the wasm backend without a copy: the output
 * shares the input's data with one more reference, as the cpu backend does. Tensors are immutable and no kernel
 * writes into its inputs, so sharing is safe; the stock wasm kernel copies the whole buffer. String tensors go
 * to the stock kernel.
 */
export function identityWasm(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x } = args.inputs;
  if (x.dtype === 'string') return runStockKernel(backend, Identity, { x });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Kernel registration of {@link identityWasm}, replacing the stock wasm kernel. */
export const identityWasmConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as KernelFunc,
};
