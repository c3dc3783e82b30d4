import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { convolutionAsOuter } from '../contributions';
import type { AnyLayer, GradientContribution, LayerRule } from '../types';
import { singleInput } from './common';

interface TimeDistributedRecord {
  inner: AnyLayer;
  innerRule: LayerRule<unknown>;
  innerRecord: unknown;
  batch: number;
  steps: number;
}

function innerLayerOf(layer: AnyLayer): AnyLayer {
  const inner = (layer as unknown as { layer?: AnyLayer }).layer;
  if (inner == null) throw new Error(`layer ${layer.name} (TimeDistributed) wraps no layer`);
  return inner;
}

/** `[B·T, ...]` -> `[B, T·..., ...]`: the steps of one example become more positions of that example. */
function stepsAsPositions(t: tf.Tensor, batch: number): tf.Tensor {
  return tf.reshape(t, [batch, -1, ...t.shape.slice(2)]);
}

/**
 * Regroups a contribution computed over `B·T` rows (one per example and time step) into `B` examples: each
 * example's gradient is the sum over its time steps, as for a layer applied `T` times. Factored forms stay
 * factored (steps become positions), so ghost norms remain available.
 */
function regroup(given: GradientContribution, batch: number, steps: number): GradientContribution {
  const c = given.kind === 'convolution' ? convolutionAsOuter(given) : given;
  switch (c.kind) {
    case 'outer':
      return {
        kind: 'outer',
        left: stepsAsPositions(c.left, batch),
        right: stepsAsPositions(c.right, batch),
      };
    case 'rows':
      return {
        kind: 'rows',
        indices: stepsAsPositions(c.indices, batch),
        right: stepsAsPositions(c.right, batch),
        rowCount: c.rowCount,
      };
    case 'materialized':
      return {
        kind: 'materialized',
        perExample: tf.sum(tf.reshape(c.perExample, [batch, steps, ...c.perExample.shape.slice(1)]), 1),
      };
  }
}

/**
 * TimeDistributed over any layer with a rule (or the exact fallback): the wrapped layer runs once on the
 * `[B·T, ...]` stack of every example's steps, and each example's gradient is the sum over its steps.
 */
export const timeDistributedRule: LayerRule<TimeDistributedRecord> = {
  forward(layer, inputs, kwargs, context) {
    const inner = innerLayerOf(layer);
    const innerRule = context.ruleFor(inner);
    const x = singleInput(layer, inputs);
    if (x.rank < 3) {
      throw new RangeError(
        `layer ${layer.name} (TimeDistributed) needs inputs [batch, steps, ...], got [${x.shape}]`,
      );
    }
    const [batch, steps] = x.shape as [number, number];
    const stacked = tf.reshape(x, [batch * steps, ...x.shape.slice(2)]);
    const { output, record } = innerRule.forward(inner, [stacked], kwargs, context);
    if (Array.isArray(output)) {
      throw new TypeError(`layer ${layer.name} (TimeDistributed): the wrapped layer must have one output`);
    }
    return {
      output: tf.reshape(output, [batch, steps, ...output.shape.slice(1)]),
      record: { inner, innerRule, innerRecord: record, batch, steps },
    };
  },
  contributions(_layer, record, tapGradients) {
    const produced = record.innerRule.contributions(record.inner, record.innerRecord, tapGradients);
    const out = new Map<LayerVariable, GradientContribution>();
    for (const [variable, c] of produced) out.set(variable, regroup(c, record.batch, record.steps));
    return out;
  },
};
