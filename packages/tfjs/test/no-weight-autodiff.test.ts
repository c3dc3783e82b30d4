import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectTrainableLayers, multiHeadAttention } from '../src/index';
import { recordPerExampleGradients } from '../src/per-example/recording';
import { rand } from './check-reference';
import { mseLoss } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dataMovement = new Set(['Identity', 'Reshape', 'Transpose']);

/**
 * Kernels of the recording pass (forward + backward to the taps) versus ordinary autodiff: the sizes are chosen so
 * that no activation has the shape of a weight of rank ≥ 2, so a kernel producing a weight-shaped tensor is a weight
 * gradient computed by autodiff.
 */
async function weightShapedKernels(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  const weightShapes = new Set(
    model.trainableWeights.filter((v) => v.shape.length >= 2).map((v) => v.shape.join(',')),
  );
  const weightShaped = (kernels: { name: string; outputShapes: number[][] }[]) =>
    kernels
      // Data movement is not a gradient: tfjs copies (Identity) every input a kernel saves for its backward pass,
      // and input gradients transpose and reshape the weights (a square recurrent kernel keeps its shape).
      .filter((k) => !dataMovement.has(k.name) && k.outputShapes.some((s) => weightShapes.has(s.join(','))))
      .map((k) => `${k.name} [${k.outputShapes.map((s) => s.join('x')).join(' ')}]`);
  const entries = collectTrainableLayers(model);
  // tf.profile hands back the same object every time: read each profile before starting the next.
  const recordedProfile = await tf.profile(() => {
    const recording = recordPerExampleGradients(
      entries,
      () => mseLoss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Tensor1D,
      tf.ones([y.shape[0]!]) as tf.Tensor1D,
    );
    recording.dispose();
  });
  const recorded = weightShaped(recordedProfile.kernels);
  const recordedNames = [...recordedProfile.kernelNames];
  const ordinaryProfile = await tf.profile(() => {
    const { grads } = tf.variableGrads(
      () => tf.sum(mseLoss(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      model.trainableWeights.map((v) => v.read() as tf.Variable),
    );
    tf.dispose(grads);
  });
  return {
    recorded,
    recordedNames,
    ordinary: weightShaped(ordinaryProfile.kernels),
    ordinaryNames: [...ordinaryProfile.kernelNames],
  };
}

describe('the recording pass computes no weight gradient for the new rules', () => {
  it('SimpleRNN, LSTM, Bidirectional GRU, TimeDistributed Dense and multi-head attention', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.simpleRNN({ inputShape: [5, 3], units: 6, returnSequences: true }),
        tfl.layers.lstm({ units: 7, returnSequences: true }),
        tfl.layers.bidirectional({ layer: tfl.layers.gru({ units: 9, returnSequences: true }) as never }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 11 }) }),
        multiHeadAttention({ numHeads: 2, keyDim: 13, outputDim: 12 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const { recorded, ordinary } = await weightShapedKernels(model, rand([4, 5, 3], 1), rand([4, 2], 2));
    expect(recorded).toEqual([]);
    expect(ordinary.length).toBeGreaterThanOrEqual(
      model.trainableWeights.filter((v) => v.shape.length >= 2).length,
    );
  });

  it('Conv3D and PReLU', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv3d({ inputShape: [6, 7, 5, 2], filters: 4, kernelSize: 2 }),
        tfl.layers.prelu({ sharedAxes: [1, 2] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const result = await weightShapedKernels(model, rand([3, 6, 7, 5, 2], 3), rand([3, 2], 4));
    expect(result.recorded).toEqual([]);
    expect(result.recordedNames).not.toContain('Conv3DBackpropFilterV2');
    expect(result.ordinaryNames).toContain('Conv3DBackpropFilterV2');
    expect(result.ordinary.length).toBeGreaterThan(0);
  });
});
