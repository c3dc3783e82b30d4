import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { ConvGeometry } from '../patches';
import type { AnyLayer, GradientContribution, LayerRule } from '../types';
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

interface ConvRecord {
  /** Input in NHWC (Conv1D inputs get a unit height axis). */
  input: tf.Tensor4D;
  geometry: ConvGeometry;
}

function geometryOf(layer: AnyLayer): ConvGeometry {
  const f = fields(layer);
  const kernelSize = f.kernelSize ?? [];
  if (f.rank === 1) {
    return {
      kernelSize: [1, kernelSize[0]!],
      strides: [1, pair(f.strides, 1)[0]],
      dilations: [1, pair(f.dilationRate, 1)[0]],
      padding: convPadding(layer),
    };
  }
  return {
    kernelSize: [kernelSize[0]!, kernelSize[1]!],
    strides: pair(f.strides, 1),
    dilations: pair(f.dilationRate, 1),
    padding: convPadding(layer),
  };
}

/**
 * Conv1D and Conv2D (strides, 'same'/'valid' padding, dilation, channelsLast and channelsFirst): the kernel
 * gradient of example `i` is `Pᵢᵀ Gᵢ` with `Pᵢ` its image patches and `Gᵢ` the gradient of its pre-activation.
 */
export const convRule: LayerRule<ConvRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const rank = f.rank;
    if (rank !== 1 && rank !== 2) {
      throw new RangeError(`layer ${layer.name}: only 1-D and 2-D convolutions have a per-example rule`);
    }
    const geometry = geometryOf(layer);
    let input = singleInput(layer, inputs);
    let kernel = requireVariable(layer, f.kernel, 'kernel').read();
    let x4: tf.Tensor4D;
    if (rank === 1) {
      if (f.dataFormat === 'channelsFirst') input = tf.transpose(input, [0, 2, 1]);
      x4 = tf.expandDims(input, 1) as tf.Tensor4D;
      kernel = tf.expandDims(kernel, 0);
    } else {
      x4 = toChannelsLast(layer, input as tf.Tensor4D);
    }
    let z: tf.Tensor4D = tf.conv2d(
      x4,
      kernel as tf.Tensor4D,
      geometry.strides as [number, number],
      geometry.padding,
      'NHWC',
      geometry.dilations as [number, number],
    );
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z) as tf.Tensor4D;
    let output: tf.Tensor = activate(layer, z);
    if (rank === 1) {
      output = tf.squeeze(output, [1]);
      if (f.dataFormat === 'channelsFirst') output = tf.transpose(output, [0, 2, 1]);
    } else {
      output = fromChannelsLast(layer, output as tf.Tensor4D);
    }
    return { output, record: { input: context.save(x4), geometry } };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const batch = record.input.shape[0];
    const right = tf.reshape(grad!, [batch, -1, grad!.shape[3]!]);
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(requireVariable(layer, f.kernel, 'kernel'), {
      kind: 'convolution',
      input: record.input,
      grad: grad as tf.Tensor4D,
      geometry: record.geometry,
    });
    addBiasContribution(out, f.bias, right);
    return out;
  },
};
