import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { GradientContribution, LayerRule } from '../types';
import { activate, addBiasContribution, fields, requireVariable, singleInput } from './common';

interface DenseRecord {
  input: tf.Tensor;
}

/**
 * Dense with any input rank `[B, ..., d]`: the kernel gradient of example `i` is `Aᵢᵀ Gᵢ` over the `T` positions
 * of its middle axes, the bias gradient is `Σₜ gₜ`.
 */
export const denseRule: LayerRule<DenseRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const input = singleInput(layer, inputs);
    const f = fields(layer);
    const kernel = requireVariable(layer, f.kernel, 'kernel').read();
    const depth = input.shape[input.rank - 1]!;
    const units = kernel.shape[1]!;
    const flat = input.rank === 2 ? input : tf.reshape(input, [-1, depth]);
    let z = tf.matMul(flat as tf.Tensor2D, kernel as tf.Tensor2D) as tf.Tensor;
    if (input.rank !== 2) z = tf.reshape(z, [...input.shape.slice(0, -1), units]);
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z);
    return { output: activate(layer, z), record: { input: context.save(input) } };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const input = record.input;
    const batch = input.shape[0]!;
    const depth = input.shape[input.rank - 1]!;
    const right = tf.reshape(grad!, [batch, -1, grad!.shape[grad!.rank - 1]!]);
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(requireVariable(layer, f.kernel, 'kernel'), {
      kind: 'outer',
      left: tf.reshape(input, [batch, -1, depth]),
      right,
    });
    addBiasContribution(out, f.bias, right);
    return out;
  },
};
