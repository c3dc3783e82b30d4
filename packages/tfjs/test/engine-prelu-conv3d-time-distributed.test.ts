import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, it } from 'vitest';
import { type PerExampleMethod, registerKernelFixes } from '../src/index';
import { expectMatchesReference, rand } from './check-reference';

describe('PReLU, Conv3D and TimeDistributed against the example-by-example reference', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`PReLU with and without shared axes, Sequential (${backend})`, async () => {
      await tf.setBackend('cpu');
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, padding: 'same' }),
          tfl.layers.prelu({
            sharedAxes: [1, 2],
            alphaInitializer: tfl.initializers.constant({ value: 0.2 }),
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 6 }),
          tfl.layers.prelu({ alphaInitializer: tfl.initializers.randomUniform({ minval: 0, maxval: 0.5 }) }),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model,
        x: rand([5, 5, 5, 2], 1),
        y: rand([5, 2], 2),
        maxGradNorm: 0.3,
        methods: backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'],
        backend,
      });
    });

    it(`TimeDistributed over Dense and Conv2D, functional with a shared TimeDistributed (${backend})`, async () => {
      await tf.setBackend('cpu');
      const input = tfl.input({ shape: [4, 3] });
      const shared = tfl.layers.timeDistributed({
        layer: tfl.layers.dense({ units: 5, activation: 'tanh' }),
      });
      const back = tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3 }) });
      const twice = shared.apply(back.apply(shared.apply(input))) as tfl.SymbolicTensor;
      const output = tfl.layers
        .dense({ units: 2 })
        .apply(tfl.layers.flatten().apply(twice)) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: output });
      await expectMatchesReference({
        model,
        x: rand([6, 4, 3], 3),
        y: rand([6, 2], 4),
        maxGradNorm: 0.3,
        methods: backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'],
        backend,
      });
      const frames = tfl.sequential({
        layers: [
          tfl.layers.timeDistributed({
            inputShape: [3, 5, 5, 1],
            layer: tfl.layers.conv2d({
              filters: 2,
              kernelSize: 3,
              strides: 2,
              padding: 'same',
              activation: 'relu',
            }),
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model: frames,
        x: rand([4, 3, 5, 5, 1], 5),
        y: rand([4, 2], 6),
        maxGradNorm: 0.3,
        methods: backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'],
        backend,
      });
    });

    it(`functional: a Conv3D branch and a shared PReLU on two inputs (${backend})`, async () => {
      await tf.setBackend('cpu');
      const volume = tfl.input({ shape: [4, 4, 3, 2] });
      const vector = tfl.input({ shape: [6] });
      const shared = tfl.layers.prelu({ alphaInitializer: tfl.initializers.constant({ value: 0.3 }) });
      const features = tfl.layers
        .flatten()
        .apply(
          tfl.layers.conv3d({ filters: 2, kernelSize: 2, strides: 2 }).apply(volume),
        ) as tfl.SymbolicTensor;
      const projected = tfl.layers.dense({ units: 6 }).apply(features) as tfl.SymbolicTensor;
      const merged = tfl.layers
        .add()
        .apply([shared.apply(projected) as tfl.SymbolicTensor, shared.apply(vector) as tfl.SymbolicTensor]);
      const output = tfl.layers.dense({ units: 2 }).apply(merged) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: [volume, vector], outputs: output });
      await expectMatchesReference({
        model,
        x: [rand([5, 4, 4, 3, 2], 11), rand([5, 6], 12)],
        y: rand([5, 2], 13),
        maxGradNorm: 0.3,
        methods: backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'],
        backend,
      });
    });

    it(`Conv3D: stride 2 with same padding, valid padding, channelsFirst (${backend})`, async () => {
      const methods = backend === 'cpu' ? undefined : (['bookkeeping', 'materialized'] as PerExampleMethod[]);
      await tf.setBackend('cpu');
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv3d({
            inputShape: [5, 6, 5, 2],
            filters: 3,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
          // A second Conv3D needs the input gradient of the first (stock wasm's Conv3DBackpropInputV2 mixed the
          // examples of a batch; the engine registers a correct one).
          tfl.layers.conv3d({ filters: 2, kernelSize: [2, 1, 2], padding: 'valid' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model,
        x: rand([4, 5, 6, 5, 2], 7),
        y: rand([4, 2], 8),
        maxGradNorm: 0.3,
        methods,
        backend,
      });
      const channelsFirst = tfl.sequential({
        layers: [
          tfl.layers.conv3d({
            inputShape: [2, 4, 5, 4],
            filters: 3,
            kernelSize: 2,
            padding: 'same',
            dataFormat: 'channelsFirst',
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model: channelsFirst,
        x: rand([3, 2, 4, 5, 4], 9),
        y: rand([3, 2], 10),
        maxGradNorm: 0.2,
        methods,
        backend,
      });
    });

    it(`Conv3D, MaxPooling3D (a window that is not a cube, 'same') and Conv3D with stride 2 (${backend})`, async () => {
      await tf.setBackend('cpu');
      // The cpu reference also needs the corrected MaxPool3DGrad (stock cpu mixes up the window's axes).
      registerKernelFixes();
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv3d({ inputShape: [4, 5, 6, 1], filters: 2, kernelSize: 2, padding: 'same' }),
          tfl.layers.maxPooling3d({ poolSize: [1, 2, 3], strides: [1, 2, 2], padding: 'same' }),
          tfl.layers.conv3d({
            filters: 3,
            kernelSize: [2, 2, 1],
            strides: 2,
            padding: 'same',
            activation: 'tanh',
          }),
          tfl.layers.conv3d({ filters: 2, kernelSize: 1 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model,
        x: rand([5, 4, 5, 6, 1], 14),
        y: rand([5, 2], 15),
        maxGradNorm: 0.3,
        methods: backend === 'cpu' ? undefined : ['bookkeeping', 'materialized', 'ghost'],
        backend,
      });
    });
  }
});
