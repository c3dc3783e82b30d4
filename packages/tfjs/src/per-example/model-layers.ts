import type * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { ruleForLayer } from './rule-for-layer';
import type { AnyLayer, LayerRule } from './types';

/** A layer whose variables are trained privately, with the rule that handles it. */
export interface TrainableLayer {
  /** The layer instance (one entry per instance, however often it is called). */
  readonly layer: AnyLayer;
  /** Its registered rule. */
  readonly rule: LayerRule<unknown>;
  /** Its trainable variables (frozen ones and those of `trainable = false` layers are left out). */
  readonly variables: readonly LayerVariable[];
}

/** Layer classes that mix the examples of a batch, so no per-example gradient exists; with the advice given. */
const batchMixingLayers: Readonly<Record<string, string>> = {
  BatchNormalization:
    "it normalises with statistics of the whole batch, so one example changes every other example's gradient. " +
    'Replace it with LayerNormalization (supported), or a GroupNorm-like custom layer with a registered rule.',
};

function isContainer(layer: AnyLayer): layer is AnyLayer & { layers: AnyLayer[] } {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/** Every non-container layer of a model, nested models included, each instance once, in model order. */
export function leafLayers(model: AnyLayer): AnyLayer[] {
  const seen = new Set<AnyLayer>();
  const out: AnyLayer[] = [];
  const visit = (layer: AnyLayer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (isContainer(layer)) {
      for (const inner of layer.layers) visit(inner);
    } else {
      out.push(layer);
    }
  };
  visit(model);
  return out;
}

/**
 * The trainable layers of the model with their per-example rules: the registered rule of each layer's class, else
 * the exact fallback (one backward pass of the layer per example). Throws a `TypeError` for BatchNormalization
 * (with a suggested replacement) and when the model has nothing to train.
 */
export function collectTrainableLayers(model: AnyLayer): TrainableLayer[] {
  const result: TrainableLayer[] = [];
  for (const layer of leafLayers(model)) {
    const className = layer.getClassName();
    const advice = batchMixingLayers[className];
    if (advice != null) {
      throw new TypeError(
        `layer "${layer.name}" (${className}) cannot be trained with per-example clipping: ${advice}`,
      );
    }
    const variables = layer.trainableWeights;
    if (variables.length === 0) continue;
    const rule = ruleForLayer(layer);
    result.push({ layer, rule, variables });
  }
  if (result.length === 0) throw new TypeError('model has no trainable variables');
  const covered = new Set(result.flatMap((entry) => entry.variables.map((v) => v.name)));
  for (const v of model.trainableWeights) {
    if (!covered.has(v.name)) {
      throw new TypeError(
        `trainable variable "${v.name}" does not belong to any layer with a per-example rule`,
      );
    }
  }
  return result;
}

/** The trainable variables of a model and the names of their layers. */
export interface TrainableVariables {
  /** The trainable tf.Variables, in the per-example engine's order. */
  readonly variables: tf.Variable[];
  /** Names of the trainable layers, in order. */
  readonly layerNames: string[];
}

/** The trainable tf.Variables of a model, in per-example engine order, with their layers. */
export function trainableVariables(model: AnyLayer): TrainableVariables {
  const entries = collectTrainableLayers(model);
  return {
    variables: entries.flatMap((e) => e.variables.map((v) => v.read() as tf.Variable)),
    layerNames: entries.map((e) => e.layer.name),
  };
}
