import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { fallbackRule } from '../fallback-rule';
import type { AnyLayer, GradientContribution, LayerRule, RecordingContext } from '../types';

interface BidirectionalFields {
  forwardLayer?: AnyLayer;
  backwardLayer?: AnyLayer;
  mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' | null;
  returnSequences?: boolean;
  returnState?: boolean;
}

interface DirectionRecord {
  layer: AnyLayer;
  rule: LayerRule<unknown>;
  record: unknown;
  tapCount: number;
}

type BidirectionalRecord = { forward: DirectionRecord; backward: DirectionRecord } | { fallback: unknown };

function runDirection(
  layer: AnyLayer,
  inputs: tf.Tensor[],
  kwargs: Record<string, unknown>,
  context: RecordingContext,
): { output: tf.Tensor; direction: DirectionRecord } {
  const rule = context.ruleFor(layer);
  let tapCount = 0;
  const counting: RecordingContext = {
    tap: (z) => {
      tapCount++;
      return context.tap(z);
    },
    save: (t) => context.save(t),
    ruleFor: (inner) => context.ruleFor(inner),
  };
  const { output, record } = rule.forward(layer, inputs, kwargs, counting);
  if (Array.isArray(output)) throw new Error(`layer ${layer.name}: expected one output`);
  return { output, direction: { layer, rule, record, tapCount } };
}

/**
 * Bidirectional over SimpleRNN, LSTM or GRU (any merge mode, sequences or not): each direction's rule records its
 * own pass, the backward direction's sequence is reversed and the two merged as tfjs-layers does. Initial and
 * returned states go to the exact fallback.
 */
export const bidirectionalRule: LayerRule<BidirectionalRecord> = {
  forward(layer, inputs, kwargs, context) {
    const f = layer as unknown as BidirectionalFields;
    if (
      f.returnState === true ||
      kwargs.initialState != null ||
      f.forwardLayer == null ||
      f.backwardLayer == null
    ) {
      const { output, record } = fallbackRule.forward(layer, inputs, kwargs, context);
      return { output, record: { fallback: record } };
    }
    const forward = runDirection(f.forwardLayer, inputs, kwargs, context);
    const backward = runDirection(f.backwardLayer, inputs, kwargs, context);
    const y = forward.output;
    const yReversed = f.returnSequences === true ? tf.reverse(backward.output, 1) : backward.output;
    let output: tf.Tensor | tf.Tensor[];
    switch (f.mergeMode) {
      case 'concat':
        output = tf.concat([y, yReversed], -1);
        break;
      case 'sum':
        output = tf.add(y, yReversed);
        break;
      case 'ave':
        output = tf.mul(0.5, tf.add(y, yReversed));
        break;
      case 'mul':
        output = tf.mul(y, yReversed);
        break;
      default:
        output = [y, yReversed];
    }
    return { output, record: { forward: forward.direction, backward: backward.direction } };
  },
  contributions(layer, record, tapGradients) {
    if ('fallback' in record)
      return fallbackRule.contributions(layer, record.fallback as never, tapGradients);
    const out = new Map<LayerVariable, GradientContribution>();
    let offset = 0;
    for (const direction of [record.forward, record.backward]) {
      const taps = tapGradients.slice(offset, offset + direction.tapCount);
      offset += direction.tapCount;
      for (const [v, c] of direction.rule.contributions(direction.layer, direction.record, taps))
        out.set(v, c);
    }
    return out;
  },
};
