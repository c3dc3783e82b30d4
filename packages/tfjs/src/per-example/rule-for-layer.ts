import { getLayerRule, supportedLayerClasses } from './registry';
import type { AnyLayer, LayerRule } from './types';

/**
 * The per-example rule of a layer instance: the one registered for its class. Throws a `TypeError` naming the
 * layer and listing the supported classes when there is none.
 */
export function ruleForLayer(layer: AnyLayer): LayerRule<unknown> {
  const className = layer.getClassName();
  const rule = getLayerRule(className);
  if (rule != null) return rule;
  throw new TypeError(
    `layer "${layer.name}" (${className}) has trainable variables but no per-example gradient rule. ` +
      `Supported trainable layers: ${supportedLayerClasses().join(', ')}. ` +
      'Freeze it (layer.trainable = false), or register a rule with registerLayerRule().',
  );
}
