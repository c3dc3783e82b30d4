import { multiHeadAttention } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Vocabulary and length of the synthetic token sequences of the sequence workloads. */
export const SEQUENCE_SHAPE = { vocabulary: 1000, length: 32 } as const;

/**
 * A text classifier: Embedding (1000 × 32) → LSTM (64 units) → Dense (2 logits), every initializer seeded (the
 * recurrent kernel's orthogonal one needs the chained ops @cnm/tfjs defines).
 */
export function createLstmClassifier(): tfl.LayersModel {
  return tfl.sequential({
    name: 'lstm_text',
    layers: [
      tfl.layers.embedding({
        inputDim: SEQUENCE_SHAPE.vocabulary,
        outputDim: 32,
        inputLength: SEQUENCE_SHAPE.length,
        embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }),
      }),
      tfl.layers.lstm({
        units: 64,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        recurrentInitializer: tfl.initializers.orthogonal({ seed: 4 }),
      }),
      tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

/**
 * A small transformer encoder block: Embedding (1000 × 32), 4-head self-attention (key size 8) with a residual and
 * LayerNormalization, a Dense 64 → 32 feed-forward with a residual and LayerNormalization, average pooling over
 * positions and Dense (2 logits).
 */
export function createTransformerClassifier(): tfl.LayersModel {
  const glorot = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const input = tfl.input({ shape: [SEQUENCE_SHAPE.length], dtype: 'int32' });
  const embedded = tfl.layers
    .embedding({
      inputDim: SEQUENCE_SHAPE.vocabulary,
      outputDim: 32,
      embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }),
    })
    .apply(input) as tfl.SymbolicTensor;
  const attended = multiHeadAttention({ numHeads: 4, keyDim: 8, kernelInitializer: glorot(2) }).apply(
    embedded,
  ) as tfl.SymbolicTensor;
  const norm1 = tfl.layers
    .layerNormalization()
    .apply(tfl.layers.add().apply([embedded, attended])) as tfl.SymbolicTensor;
  const hidden = tfl.layers
    .dense({ units: 64, activation: 'relu', kernelInitializer: glorot(3) })
    .apply(norm1) as tfl.SymbolicTensor;
  const back = tfl.layers
    .dense({ units: 32, kernelInitializer: glorot(4) })
    .apply(hidden) as tfl.SymbolicTensor;
  const norm2 = tfl.layers
    .layerNormalization()
    .apply(tfl.layers.add().apply([norm1, back])) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling1d().apply(norm2) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: 2, kernelInitializer: glorot(5) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ name: 'transformer_text', inputs: input, outputs: logits });
}

/** Random token sequences (no padding) with random one-hot labels: speed does not depend on the values. */
export function sequenceBatch(size: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomUniform([size, SEQUENCE_SHAPE.length], 1, SEQUENCE_SHAPE.vocabulary, 'int32', seed);
    const labels = tf.randomUniform([size], 0, 2, 'int32', seed + 1);
    return { x, y: tf.cast(tf.oneHot(labels, 2), 'float32') };
  });
}
