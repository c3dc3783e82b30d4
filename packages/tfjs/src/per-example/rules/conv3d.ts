import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { AnyLayer, GradientContribution, LayerRule } from '../types';
import { activate, addBiasContribution, convPadding, fields, requireVariable, singleInput } from './common';

type Triple = [number, number, number];

interface Conv3dRecord {
  /** Input in NDHWC. */
  input: tf.Tensor5D;
  kernelSize: Triple;
  strides: Triple;
  dilations: Triple;
  padding: 'same' | 'valid';
}

function triple(value: number | number[] | undefined, fallback: number): Triple {
  if (value == null) return [fallback, fallback, fallback];
  if (typeof value === 'number') return [value, value, value];
  return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback, value[2] ?? value[0] ?? fallback];
}

function toChannelsLast5d(layer: AnyLayer, x: tf.Tensor5D): tf.Tensor5D {
  return fields(layer).dataFormat === 'channelsFirst' ? tf.transpose(x, [0, 2, 3, 4, 1]) : x;
}

/**
 * Image patches of a 3-D convolution, `[B, Do·Ho·Wo, kd·kh·kw·C]` in the order of the kernel's rows: a
 * convolution with a one-hot filter bank copies each patch element into its own output channel (products by 1
 * and sums of zeros, so the values are exact).
 */
export function extractPatches3d(input: tf.Tensor5D, record: Omit<Conv3dRecord, 'input'>): tf.Tensor3D {
  const channels = input.shape[4];
  const [kd, kh, kw] = record.kernelSize;
  const size = kd * kh * kw * channels;
  const eye = tf.reshape(tf.eye(size), [kd, kh, kw, channels, size]) as tf.Tensor5D;
  const patches = tf.conv3d(input, eye, record.strides, record.padding, 'NDHWC', record.dilations);
  return tf.reshape(patches, [input.shape[0], -1, size]);
}

/**
 * Conv3D (strides, 'same'/'valid' padding, dilation, channelsLast and channelsFirst): the kernel gradient of
 * example `i` is `Pᵢᵀ Gᵢ` with `Pᵢ` its volume patches and `Gᵢ` the gradient of its pre-activation.
 */
export const conv3dRule: LayerRule<Conv3dRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const kernel = requireVariable(layer, f.kernel, 'kernel').read() as tf.Tensor5D;
    const geometry = {
      kernelSize: kernel.shape.slice(0, 3) as Triple,
      strides: triple(f.strides, 1),
      dilations: triple(f.dilationRate, 1),
      padding: convPadding(layer),
    };
    const x = toChannelsLast5d(layer, singleInput(layer, inputs) as tf.Tensor5D);
    let z: tf.Tensor = tf.conv3d(x, kernel, geometry.strides, geometry.padding, 'NDHWC', geometry.dilations);
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z);
    let output = activate(layer, z);
    if (f.dataFormat === 'channelsFirst') output = tf.transpose(output, [0, 4, 1, 2, 3]);
    return { output, record: { input: context.save(x), ...geometry } };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const batch = record.input.shape[0];
    const right = tf.reshape(grad!, [batch, -1, grad!.shape[4]!]);
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(requireVariable(layer, f.kernel, 'kernel'), {
      kind: 'outer',
      left: extractPatches3d(record.input, record),
      right,
    });
    addBiasContribution(out, f.bias, right);
    return out;
  },
};
