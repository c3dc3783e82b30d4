import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { type ConvGeometry, extractPatches } from '../patches';
import type { GradientContribution, LayerRule } from '../types';
import {
  activate,
  addBiasContribution,
  convPadding,
  fields,
  fromChannelsLast,
  pair,
  requireVariable,
  singleInput,
  toChannelsLast,
} from './common';

interface TransposeRecord {
  input: tf.Tensor4D;
  geometry: ConvGeometry;
}

/** Output length of a transposed convolution axis, as tfjs-layers' `deconvLength` computes it. */
function deconvLength(size: number, stride: number, kernel: number, padding: 'same' | 'valid'): number {
  return padding === 'valid' ? size * stride + Math.max(kernel - stride, 0) : size * stride;
}

/**
 * Conv2DTranspose. A transposed convolution is the adjoint of the convolution with the same kernel, so the
 * kernel gradient of example `i` is `Pᵢᵀ Xᵢ`, with `Pᵢ` the patches of the output gradient taken with the layer's
 * kernel size, strides and padding and `Xᵢ` the layer input (kernel shape `[kh, kw, filters, inChannels]`).
 */
export const conv2dTransposeRule: LayerRule<TransposeRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const x = toChannelsLast(layer, singleInput(layer, inputs) as tf.Tensor4D);
    const kernel = requireVariable(layer, f.kernel, 'kernel').read() as tf.Tensor4D;
    const [kh, kw] = pair(f.kernelSize, 1);
    const strides = pair(f.strides, 1);
    const padding = convPadding(layer);
    const [batch, height, width] = x.shape;
    const outShape: [number, number, number, number] = [
      batch,
      deconvLength(height, strides[0], kh, padding),
      deconvLength(width, strides[1], kw, padding),
      kernel.shape[2],
    ];
    let z: tf.Tensor4D = tf.conv2dTranspose(x, kernel, outShape, strides, padding);
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z) as tf.Tensor4D;
    const output = fromChannelsLast(layer, activate(layer, z) as tf.Tensor4D);
    return {
      output,
      record: {
        input: context.save(x),
        geometry: { kernelSize: [kh, kw], strides, dilations: [1, 1], padding },
      },
    };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const batch = record.input.shape[0];
    const channels = record.input.shape[3];
    const g = grad as tf.Tensor4D;
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(requireVariable(layer, f.kernel, 'kernel'), {
      kind: 'outer',
      left: extractPatches(g, record.geometry),
      right: tf.reshape(record.input, [batch, -1, channels]),
    });
    addBiasContribution(out, f.bias, tf.reshape(g, [batch, -1, g.shape[3]]));
    return out;
  },
};
