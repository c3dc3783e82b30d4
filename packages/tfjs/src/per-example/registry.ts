import { bidirectionalRule } from './rules/bidirectional';
import { convRule } from './rules/conv';
import { conv2dTransposeRule } from './rules/conv2d-transpose';
import { conv3dRule } from './rules/conv3d';
import { denseRule } from './rules/dense';
import { depthwiseConv2dRule, separableConv2dRule } from './rules/depthwise';
import { embeddingRule } from './rules/embedding';
import { layerNormalizationRule } from './rules/layer-normalization';
import { preluRule } from './rules/prelu';
import { recurrentRule } from './rules/recurrent';
import { timeDistributedRule } from './rules/time-distributed';
import type { LayerRule } from './types';

/** The built-in rules, by tfjs-layers class name. */
const builtinRules: ReadonlyArray<[string, LayerRule<never>]> = [
  ['Dense', denseRule as LayerRule<never>],
  ['Conv1D', convRule as LayerRule<never>],
  ['Conv2D', convRule as LayerRule<never>],
  ['Conv2DTranspose', conv2dTransposeRule as LayerRule<never>],
  ['DepthwiseConv2D', depthwiseConv2dRule as LayerRule<never>],
  ['SeparableConv2D', separableConv2dRule as LayerRule<never>],
  ['Embedding', embeddingRule as LayerRule<never>],
  ['LayerNormalization', layerNormalizationRule as LayerRule<never>],
  ['Conv3D', conv3dRule as LayerRule<never>],
  ['PReLU', preluRule as LayerRule<never>],
  ['TimeDistributed', timeDistributedRule as LayerRule<never>],
  ['SimpleRNN', recurrentRule as LayerRule<never>],
  ['LSTM', recurrentRule as LayerRule<never>],
  ['GRU', recurrentRule as LayerRule<never>],
  ['Bidirectional', bidirectionalRule as LayerRule<never>],
];

const rules = new Map<string, LayerRule<never>>(builtinRules);

/**
 * Registers (or replaces) the per-example gradient rule for a layer class, keyed by the class's
 * `className` (the name tfjs-layers serialises, e.g. `'Dense'`). Use it to make a custom trainable layer
 * usable with private training.
 */
export function registerLayerRule<TRecord>(className: string, rule: LayerRule<TRecord>): void {
  if (typeof className !== 'string' || className.length === 0) {
    throw new TypeError(`className must be a non-empty string, got ${String(className)}`);
  }
  if (rule == null || typeof rule.forward !== 'function' || typeof rule.contributions !== 'function') {
    throw new TypeError(`rule for ${className} must have forward() and contributions() functions`);
  }
  rules.set(className, rule as LayerRule<never>);
}

/**
 * Removes a user-registered rule; a replaced built-in rule comes back. Built-in rules themselves cannot be
 * removed. Returns whether anything changed.
 */
export function unregisterLayerRule(className: string): boolean {
  const current = rules.get(className);
  if (current == null) return false;
  const builtin = builtinRules.find(([name]) => name === className)?.[1];
  if (builtin == null) return rules.delete(className);
  if (current === builtin) return false;
  rules.set(className, builtin);
  return true;
}

/** The rule registered for a layer class, or `undefined`. */
export function getLayerRule(className: string): LayerRule<unknown> | undefined {
  return rules.get(className) as LayerRule<unknown> | undefined;
}

/** Class names of all layers with a registered rule, sorted. */
export function supportedLayerClasses(): string[] {
  return [...rules.keys()].sort();
}
