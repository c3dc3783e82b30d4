import { fallbackRule } from './fallback-rule';
import { getLayerRule } from './registry';
import type { AnyLayer, LayerRule } from './types';

/**
 * The per-example rule of a layer instance: the one registered for its class, else the exact fallback
 * ({@link fallbackRule}: one backward pass of the layer per example, with a one-time warning).
 */
export function ruleForLayer(layer: AnyLayer): LayerRule<unknown> {
  return getLayerRule(layer.getClassName()) ?? (fallbackRule as LayerRule<unknown>);
}
