import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { GradientContribution, LayerRule } from '../types';
import { fields, singleInput } from './common';

interface LayerNormRecord {
  normalized: tf.Tensor;
  axes: number[];
}

function normalizedAxes(axis: number | number[] | undefined, rank: number, name: string): number[] {
  const list = (axis == null ? [-1] : typeof axis === 'number' ? [axis] : axis).map((a) =>
    a < 0 ? a + rank : a,
  );
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a <= 0 || a >= rank) {
      throw new RangeError(
        `layer ${name}: LayerNormalization axis ${a} must be a non-batch axis in [1, ${rank - 1}]`,
      );
    }
    if (i > 0 && a <= list[i - 1]!) {
      throw new RangeError(`layer ${name}: LayerNormalization axes must be given in increasing order`);
    }
  }
  return list;
}

/**
 * LayerNormalization: `y = x̂·γ + β` with `x̂` normalised over the layer's axes per example; the per-example
 * gradients are `Σ g·x̂` (γ) and `Σ g` (β) over the remaining non-batch axes.
 */
export const layerNormalizationRule: LayerRule<LayerNormRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const x = singleInput(layer, inputs);
    const axes = normalizedAxes(f.axis, x.rank, layer.name);
    const broadcastShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const { mean, variance } = tf.moments(x, axes, true);
    const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, f.epsilon ?? 1e-3)));
    let y = normalized;
    if (f.scale !== false && f.gamma != null) y = tf.mul(y, tf.reshape(f.gamma.read(), broadcastShape));
    if (f.center !== false && f.beta != null) y = tf.add(y, tf.reshape(f.beta.read(), broadcastShape));
    return { output: context.tap(y), record: { normalized: context.save(normalized), axes } };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const g = grad!;
    const reduceAxes: number[] = [];
    for (let i = 1; i < g.rank; i++) if (!record.axes.includes(i)) reduceAxes.push(i);
    const reduce = (t: tf.Tensor) => (reduceAxes.length === 0 ? t : tf.sum(t, reduceAxes));
    const out = new Map<LayerVariable, GradientContribution>();
    if (f.scale !== false && f.gamma != null) {
      out.set(f.gamma, { kind: 'materialized', perExample: reduce(tf.mul(g, record.normalized)) });
    }
    if (f.center !== false && f.beta != null)
      out.set(f.beta, { kind: 'materialized', perExample: reduce(g) });
    return out;
  },
};
