import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { sumOverPositionsWasm } from '../simd-per-example';
import type { AnyLayer, GradientContribution } from '../types';

/** The fields of tfjs-layers layers the rules read (they are protected in the typings, public at run time). */
export interface LayerFields {
  kernel?: LayerVariable | null;
  bias?: LayerVariable | null;
  depthwiseKernel?: LayerVariable | null;
  pointwiseKernel?: LayerVariable | null;
  embeddings?: LayerVariable | null;
  gamma?: LayerVariable | null;
  beta?: LayerVariable | null;
  activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
  rank?: number;
  kernelSize?: number[];
  strides?: number[];
  padding?: string;
  dataFormat?: 'channelsFirst' | 'channelsLast';
  dilationRate?: number | number[];
  filters?: number;
  depthMultiplier?: number;
  inputDim?: number;
  outputDim?: number;
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  units?: number;
}

/** Views a layer through the fields the rules need. */
export function fields(layer: AnyLayer): LayerFields {
  return layer as unknown as LayerFields;
}

/** Applies the layer's activation (if any) to a pre-activation. */
export function activate(layer: AnyLayer, z: tf.Tensor): tf.Tensor {
  const activation = fields(layer).activation;
  return activation == null ? z : activation.apply(z);
}

/** The single input a one-input layer received. */
export function singleInput(layer: AnyLayer, inputs: tf.Tensor[]): tf.Tensor {
  if (inputs.length !== 1) {
    throw new TypeError(
      `layer ${layer.name} (${layer.getClassName()}) expects exactly one input, got ${inputs.length}`,
    );
  }
  return inputs[0]!;
}

/** Padding of a convolution layer as tfjs ops take it; 'causal' is rejected as tfjs-layers itself does. */
export function convPadding(layer: AnyLayer): 'same' | 'valid' {
  const padding = fields(layer).padding;
  if (padding === 'same' || padding === 'valid') return padding;
  throw new RangeError(
    `layer ${layer.name}: padding ${String(padding)} is not supported (use 'same' or 'valid')`,
  );
}

/** Spatial pair from a tfjs-layers number-or-array field. */
export function pair(value: number | number[] | undefined, fallback: number): [number, number] {
  if (value == null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];
}

/** NCHW -> NHWC when the layer uses channelsFirst. */
export function toChannelsLast(layer: AnyLayer, x: tf.Tensor4D): tf.Tensor4D {
  return fields(layer).dataFormat === 'channelsFirst' ? tf.transpose(x, [0, 2, 3, 1]) : x;
}

/** NHWC -> NCHW when the layer uses channelsFirst. */
export function fromChannelsLast(layer: AnyLayer, x: tf.Tensor4D): tf.Tensor4D {
  return fields(layer).dataFormat === 'channelsFirst' ? tf.transpose(x, [0, 3, 1, 2]) : x;
}

/** Adds a bias contribution (sum of the pre-activation gradient over positions) when the layer has one. */
export function addBiasContribution(
  out: Map<LayerVariable, GradientContribution>,
  bias: LayerVariable | null | undefined,
  rightBTF: tf.Tensor,
): void {
  if (bias == null) return;
  const perExample =
    rightBTF.shape[1] === 1
      ? tf.reshape(rightBTF, [rightBTF.shape[0]!, rightBTF.shape[2]!])
      : (sumOverPositionsWasm(rightBTF as tf.Tensor3D) ?? tf.sum(rightBTF, 1));
  out.set(bias, { kind: 'materialized', perExample });
}

/** A variable field that must exist once the layer is built. */
export function requireVariable(
  layer: AnyLayer,
  variable: LayerVariable | null | undefined,
  what: string,
): LayerVariable {
  if (variable == null) throw new Error(`layer ${layer.name} has no ${what}: was it built?`);
  return variable;
}
