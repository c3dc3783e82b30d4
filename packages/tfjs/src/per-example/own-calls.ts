/**
 * The layers' own `call`s while a recording pass has replaced them, kept apart from the recording so that rules
 * (the exact fallback) can run a layer's own computation without depending on the recording pass.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AnyLayer, LayerCallKwargs } from './types';

/** A layer's `call`. */
export type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: LayerCallKwargs) => tf.Tensor | tf.Tensor[];

/** The layers' own `call`s while a recording pass has replaced them. */
export const ownCalls = new WeakMap<AnyLayer, CallFn>();

/**
 * Runs a layer's own `call` (not the recording's replacement): for rules that reuse the layer's computation, such
 * as the exact fallback.
 */
export function callOwn(
  layer: AnyLayer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: LayerCallKwargs,
): tf.Tensor | tf.Tensor[] {
  const own = ownCalls.get(layer) ?? (layer as unknown as { call: CallFn }).call;
  return own.call(layer, inputs, kwargs);
}
