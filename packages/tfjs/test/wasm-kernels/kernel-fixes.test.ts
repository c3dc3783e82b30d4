import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { computeClippedGradients } from '../../src/index';
import { conv3dBackpropInputWasmConfig } from '../../src/wasm-kernels/conv3d-backprop';
import { registerKernelFixes, WASM_CORRECTNESS_KERNELS } from '../../src/wasm-kernels/kernel-fixes';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from '../../src/wasm-kernels/register-wasm-training-kernels';
import { disposeResult, mseLoss } from '../reference';
import './kernel-test-utils';

afterAll(async () => {
  await tf.setBackend('cpu');
  registerWasmTrainingKernels();
});

describe('registerKernelFixes', () => {
  it('registers the correctness kernels of the wasm pack and the 3-D max pooling kernels, once', async () => {
    await tf.setBackend('wasm');
    unregisterWasmTrainingKernels();
    const registered = registerKernelFixes();
    for (const name of WASM_CORRECTNESS_KERNELS) expect(registered).toContain(`${name}/wasm`);
    expect(registered).toEqual(
      expect.arrayContaining(['MaxPool3D/wasm', 'MaxPool3DGrad/wasm', 'MaxPool3DGrad/cpu']),
    );
    // Only the correctness subset: the pack's speed-only kernels stay stock.
    expect(registered).not.toContain('Conv2DBackpropInput/wasm');
    expect(registerKernelFixes()).toEqual([]);
  });

  it('the engine registers them itself before computing clipped gradients on wasm', async () => {
    await tf.setBackend('wasm');
    unregisterWasmTrainingKernels();
    expect(tf.getKernel('Conv3DBackpropInputV2', 'wasm')?.kernelFunc).not.toBe(
      conv3dBackpropInputWasmConfig.kernelFunc,
    );
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv3d({ inputShape: [3, 3, 3, 1], filters: 2, kernelSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const result = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x: tf.ones([2, 3, 3, 3, 1]),
      y: tf.zeros([2, 1]),
      maxGradNorm: 1,
    });
    disposeResult(result);
    expect(tf.getKernel('Conv3DBackpropInputV2', 'wasm')?.kernelFunc).toBe(
      conv3dBackpropInputWasmConfig.kernelFunc,
    );
  });
});
