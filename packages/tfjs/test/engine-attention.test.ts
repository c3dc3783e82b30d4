import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { multiHeadAttention, type PerExampleMethod, PrivacyEngine } from '../src/index';
import { expectMatchesReference, rand } from './check-reference';
import { crossEntropy } from './engine-fixtures';

afterEach(async () => {
  await tf.setBackend('cpu');
});

/** Token sequences with trailing padding (token 0). */
function tokens(batch: number, steps: number, vocabulary: number, seed: number): tf.Tensor2D {
  const values: number[] = [];
  for (let i = 0; i < batch; i++) {
    const length = 2 + ((i * 3 + seed) % (steps - 1));
    for (let t = 0; t < steps; t++)
      values.push(t < length ? 1 + ((i * 7 + t * 5 + seed) % (vocabulary - 1)) : 0);
  }
  return tf.tensor2d(values, [batch, steps], 'int32');
}

/** A transformer block: attention with a residual and LayerNormalization, then a Dense feed-forward and a head. */
function transformerBlock(
  steps: number,
  vocabulary: number,
  classes: number,
  causal: boolean,
): tfl.LayersModel {
  const input = tfl.input({ shape: [steps], dtype: 'int32' });
  const embedded = tfl.layers
    .embedding({ inputDim: vocabulary, outputDim: 8, maskZero: true })
    .apply(input) as tfl.SymbolicTensor;
  const attended = multiHeadAttention({ numHeads: 2, keyDim: 4, causal }).apply(
    embedded,
  ) as tfl.SymbolicTensor;
  const residual = tfl.layers.add().apply([embedded, attended]) as tfl.SymbolicTensor;
  const normalized = tfl.layers.layerNormalization().apply(residual) as tfl.SymbolicTensor;
  const hidden = tfl.layers.dense({ units: 8, activation: 'relu' }).apply(normalized) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling1d().apply(hidden) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({ units: classes, activation: 'softmax' })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

describe('multiHeadAttention against the example-by-example reference', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    const methods: PerExampleMethod[] | undefined =
      backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'];
    it(`self-attention (Sequential) and cross-attention with a separate key (functional) (${backend})`, async () => {
      await tf.setBackend('cpu');
      const self = tfl.sequential({
        layers: [
          multiHeadAttention({ inputShape: [5, 6], numHeads: 2, keyDim: 3, valueDim: 4 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model: self,
        x: rand([4, 5, 6], 1),
        y: rand([4, 2], 2),
        maxGradNorm: 0.2,
        methods,
        backend,
      });
      const query = tfl.input({ shape: [3, 4] });
      const value = tfl.input({ shape: [5, 6] });
      const key = tfl.input({ shape: [5, 2] });
      const attended = multiHeadAttention({ numHeads: 3, keyDim: 2, outputDim: 5, causal: true }).apply([
        query,
        value,
        key,
      ]) as tfl.SymbolicTensor;
      const output = tfl.layers
        .dense({ units: 2 })
        .apply(tfl.layers.flatten().apply(attended)) as tfl.SymbolicTensor;
      const cross = tfl.model({ inputs: [query, value, key], outputs: output });
      await expectMatchesReference({
        model: cross,
        x: [rand([4, 3, 4], 3), rand([4, 5, 6], 4), rand([4, 5, 2], 5)],
        y: rand([4, 2], 6),
        maxGradNorm: 0.2,
        methods,
        backend,
      });
    });

    it(`a transformer block with padding masks and a causal mask (${backend})`, async () => {
      await tf.setBackend('cpu');
      const model = transformerBlock(6, 9, 3, true);
      await expectMatchesReference({
        model,
        x: tokens(5, 6, 9, 1),
        y: rand([5, 3], 7),
        maxGradNorm: 0.05,
        methods,
        backend,
      });
    });
  }

  it('trains a small transformer block privately (DP-SGD, epsilon 8) to tell two marker tokens apart', async () => {
    await tf.setBackend('cpu');
    const size = 64;
    const steps = 6;
    // Class 1 sequences contain token 1 twice, class 0 sequences token 2 twice, among filler tokens and padding.
    const values: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < size; i++) {
      const label = i % 2;
      const length = 3 + (i % (steps - 2));
      for (let t = 0; t < steps; t++) {
        const filler = 3 + ((i * 5 + t * 3) % 5);
        const marked = t === i % 3 || t === length - 1;
        values.push(t >= length ? 0 : marked ? (label === 1 ? 1 : 2) : filler);
      }
      labels.push(1 - label, label);
    }
    const data = { x: tf.tensor2d(values, [size, steps], 'int32'), y: tf.tensor2d(labels, [size, 2]) };
    const model = transformerBlock(steps, 8, 2, false);
    const trainer = new PrivacyEngine().makePrivateWithEpsilon({
      model,
      lossFn: crossEntropy,
      data,
      epochs: 8,
      batchSize: 16,
      targetEpsilon: 8,
      targetDelta: 1e-5,
      maxGradNorm: 1,
      mode: 'DP-SGD-BASE',
      learningRate: 0.5,
      seed: 3,
    });
    expect(trainer.evaluate(data).accuracy).toBeLessThan(0.75);
    await trainer.fit();
    expect(trainer.getEpsilon()).toBeLessThanOrEqual(8);
    const { accuracy } = trainer.evaluate(data);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
