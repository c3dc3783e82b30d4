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

/**
 * Per-example depthwise kernel gradients `[B, kh, kw, C, M]`: for channel `c` and multiplier `m`,
 * `Σₜ P[t, k, c] · G[t, c·M + m]`, computed as one batched product per (example, channel).
 */
export function depthwisePerExample(
  input: tf.Tensor4D,
  grad: tf.Tensor4D,
  geometry: ConvGeometry,
  multiplier: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [batch, , , channels] = input.shape;
    const [kh, kw] = geometry.kernelSize;
    const k = kh * kw;
    const patches = tf.reshape(extractPatches(input, geometry), [batch, -1, k, channels]);
    const positions = patches.shape[1]!;
    const left = tf.reshape(tf.transpose(patches, [0, 3, 2, 1]), [batch * channels, k, positions]);
    const right = tf.reshape(
      tf.transpose(tf.reshape(grad, [batch, positions, channels, multiplier]), [0, 2, 1, 3]),
      [batch * channels, positions, multiplier],
    );
    const product = tf.reshape(tf.matMul(left, right), [batch, channels, k, multiplier]);
    return tf.reshape(tf.transpose(product, [0, 2, 1, 3]), [batch, kh, kw, channels, multiplier]);
  });
}

interface DepthwiseRecord {
  input: tf.Tensor4D;
  geometry: ConvGeometry;
}

/**
 * DepthwiseConv2D. Like tfjs-layers (which passes no dilation to the op), the layer's dilation rate is not used.
 */
export const depthwiseConv2dRule: LayerRule<DepthwiseRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const x = toChannelsLast(layer, singleInput(layer, inputs) as tf.Tensor4D);
    const kernel = requireVariable(layer, f.depthwiseKernel, 'depthwiseKernel').read() as tf.Tensor4D;
    const geometry: ConvGeometry = {
      kernelSize: [kernel.shape[0], kernel.shape[1]],
      strides: pair(f.strides, 1),
      dilations: [1, 1],
      padding: convPadding(layer),
    };
    let z: tf.Tensor4D = tf.depthwiseConv2d(
      x,
      kernel,
      geometry.strides as [number, number],
      geometry.padding,
    );
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z) as tf.Tensor4D;
    return {
      output: fromChannelsLast(layer, activate(layer, z) as tf.Tensor4D),
      record: { input: context.save(x), geometry },
    };
  },
  contributions(layer, record, [grad]) {
    const f = fields(layer);
    const kernel = requireVariable(layer, f.depthwiseKernel, 'depthwiseKernel');
    const g = grad as tf.Tensor4D;
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(kernel, {
      kind: 'materialized',
      perExample: depthwisePerExample(record.input, g, record.geometry, kernel.shape[3]!),
    });
    addBiasContribution(out, f.bias, tf.reshape(g, [g.shape[0], -1, g.shape[3]]));
    return out;
  },
};

interface SeparableRecord {
  input: tf.Tensor4D;
  depthwiseOutput: tf.Tensor4D;
  geometry: ConvGeometry;
}

/**
 * SeparableConv2D: a depthwise convolution (strides, padding, dilation) then a 1×1 pointwise convolution with
 * bias; both get a tap, the pointwise kernel is an outer product over positions.
 */
export const separableConv2dRule: LayerRule<SeparableRecord> = {
  forward(layer, inputs, _kwargs, context) {
    const f = fields(layer);
    const x = toChannelsLast(layer, singleInput(layer, inputs) as tf.Tensor4D);
    const depthwise = requireVariable(layer, f.depthwiseKernel, 'depthwiseKernel').read() as tf.Tensor4D;
    const pointwise = requireVariable(layer, f.pointwiseKernel, 'pointwiseKernel').read() as tf.Tensor4D;
    const geometry: ConvGeometry = {
      kernelSize: [depthwise.shape[0], depthwise.shape[1]],
      strides: pair(f.strides, 1),
      dilations: pair(f.dilationRate, 1),
      padding: convPadding(layer),
    };
    const d = tf.depthwiseConv2d(
      x,
      depthwise,
      geometry.strides as [number, number],
      geometry.padding,
      'NHWC',
      geometry.dilations as [number, number],
    );
    const tapped = context.tap(d) as tf.Tensor4D;
    let z: tf.Tensor4D = tf.conv2d(tapped, pointwise, 1, 'valid');
    if (f.bias != null) z = tf.add(z, f.bias.read());
    z = context.tap(z) as tf.Tensor4D;
    return {
      output: fromChannelsLast(layer, activate(layer, z) as tf.Tensor4D),
      record: { input: context.save(x), depthwiseOutput: context.save(d), geometry },
    };
  },
  contributions(layer, record, [depthwiseGrad, grad]) {
    const f = fields(layer);
    const depthwise = requireVariable(layer, f.depthwiseKernel, 'depthwiseKernel');
    const g = grad as tf.Tensor4D;
    const batch = g.shape[0];
    const right = tf.reshape(g, [batch, -1, g.shape[3]]);
    const out = new Map<LayerVariable, GradientContribution>();
    out.set(depthwise, {
      kind: 'materialized',
      perExample: depthwisePerExample(
        record.input,
        depthwiseGrad as tf.Tensor4D,
        record.geometry,
        depthwise.shape[3]!,
      ),
    });
    out.set(requireVariable(layer, f.pointwiseKernel, 'pointwiseKernel'), {
      kind: 'outer',
      left: tf.reshape(record.depthwiseOutput, [batch, -1, record.depthwiseOutput.shape[3]]),
      right,
    });
    addBiasContribution(out, f.bias, right);
    return out;
  },
};
