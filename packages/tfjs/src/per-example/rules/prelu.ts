import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { GradientContribution, LayerRule } from '../types';
import { requireVariable, singleInput } from './common';

interface PreluRecord {
  /** `min(x, 0)`: the derivative of the output with respect to alpha, element by element. */
  negativePart: tf.Tensor;
}

/**
 * PReLU, `y = x` where `x ≥ 0` and `α·x` elsewhere, `α` shaped like one example with its shared axes of size 1:
 * example `i`'s gradient of `α` is `Σ gᵢ·min(xᵢ, 0)` over the shared axes.
 */
export const preluRule: LayerRule<PreluRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const x = singleInput(layer, inputs);
    const alpha = requireVariable(layer, (layer as unknown as { alpha?: LayerVariable }).alpha, 'alpha');
    const y = context.tap(tf.prelu(x, alpha.read()));
    return { output: y, record: { negativePart: context.save(tf.minimum(x, 0)) } };
  },
  contributions(layer, record, [grad]) {
    const alpha = requireVariable(layer, (layer as unknown as { alpha?: LayerVariable }).alpha, 'alpha');
    const product = tf.mul(grad!, record.negativePart);
    const shared: number[] = [];
    for (let axis = 0; axis < alpha.shape.length; axis++) {
      if (alpha.shape[axis] === 1 && product.shape[axis + 1] !== 1) shared.push(axis + 1);
    }
    const perExample = shared.length === 0 ? product : tf.sum(product, shared, true);
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(alpha, { kind: 'materialized', perExample });
    return out;
  },
};
