import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { GradientContribution, LayerRule } from '../types';
import { fields, requireVariable, singleInput } from './common';

interface EmbeddingRecord {
  /** Looked-up rows, `[B, T]` int32. */
  indices: tf.Tensor2D;
}

/** Embedding: each example's gradient adds the output gradient of each position to the row it looked up. */
export const embeddingRule: LayerRule<EmbeddingRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const raw = singleInput(layer, inputs);
    const indices = raw.dtype === 'int32' ? raw : tf.cast(raw, 'int32');
    const table = requireVariable(layer, f.embeddings, 'embeddings').read();
    const rows = tf.gather(table, tf.reshape(indices, [indices.size]));
    const z = context.tap(tf.reshape(rows, [...indices.shape, table.shape[1]!]));
    return { output: z, record: { indices: context.save(tf.reshape(indices, [indices.shape[0]!, -1])) } };
  },
  contributions(layer, record, [grad]) {
    const table = requireVariable(layer, fields(layer).embeddings, 'embeddings');
    const batch = record.indices.shape[0];
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(table, {
      kind: 'rows',
      indices: record.indices,
      right: tf.reshape(grad!, [batch, -1, table.shape[1]!]),
      rowCount: table.shape[0]!,
    });
    return out;
  },
};
