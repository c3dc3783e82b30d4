import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { callOwn } from './own-calls';
import type { AnyLayer, GradientContribution, LayerCallKwargs, LayerRule } from './types';

interface FallbackRecord {
  /** The inputs as the layer received them (one tensor or a list). */
  inputs: tf.Tensor | tf.Tensor[];
  /** Keyword arguments, tensors in them kept alive (masks, initial states). */
  kwargs: LayerCallKwargs;
  /** The layer's outputs on the whole batch, to check each example's output when run alone. */
  outputs: tf.Tensor[];
}

/** How far an example's output run alone may be from its row of the batched output, relative to its scale. */
const OUTPUT_TOLERANCE = 1e-4;

const warned = new WeakSet<AnyLayer>();

function mapTensors<T>(value: T, batch: number, map: (t: tf.Tensor) => tf.Tensor): T {
  if (value instanceof tf.Tensor)
    return (value.rank > 0 && value.shape[0] === batch ? map(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, batch, map)) as T;
  return value;
}

function keepTensors<T>(value: T, save: (t: tf.Tensor) => tf.Tensor): T {
  if (value instanceof tf.Tensor) return save(value) as T;
  if (Array.isArray(value)) return value.map((v) => keepTensors(v, save)) as T;
  return value;
}

function batchOf(inputs: tf.Tensor | tf.Tensor[]): number {
  const first = Array.isArray(inputs) ? inputs[0] : inputs;
  if (first == null || first.rank === 0) throw new TypeError('the layer received no batched input');
  return first.shape[0]!;
}

/** A recurrent layer (or a wrapper of one) that carries its state from batch to batch. */
function statefulPart(layer: AnyLayer): boolean {
  const f = layer as unknown as { stateful?: boolean; forwardLayer?: AnyLayer; layer?: AnyLayer };
  if (f.stateful === true) return true;
  return [f.forwardLayer, f.layer].some((inner) => inner != null && statefulPart(inner));
}

/**
 * Per-example gradients of one layer's trainable variables, exact for any layer that treats the examples of a
 * batch independently: for each example, one backward pass through that layer alone, from the example's recorded
 * inputs to the recorded gradient of its outputs (`∂/∂W Σ gᵢ·f(xᵢ; W)`). The rest of the model is not run again.
 * Costs one small forward and backward pass of the layer per example (tfjs has no vectorising map), and holds
 * the `[B, ...variableShape]` per-example gradients. Each example's output is checked against its row of the
 * batched output, so a layer that mixes examples (batch statistics) or draws randomness is refused instead of
 * clipped wrongly.
 */
export const fallbackRule: LayerRule<FallbackRecord> = {
  description: 'exact fallback: one backward pass of the layer per example',
  forward(layer, inputs, kwargs, context) {
    if (statefulPart(layer)) {
      throw new TypeError(
        `layer "${layer.name}" (${layer.getClassName()}) is stateful: it carries each row's state into the next ` +
          'batch, so one example would change the gradients of other examples and per-example clipping would not ' +
          'bound its influence. Use stateful: false.',
      );
    }
    const given = inputs.length === 1 ? inputs[0]! : inputs;
    const raw = callOwn(layer, given, kwargs);
    const list = Array.isArray(raw) ? raw : [raw];
    const tapped = list.map((t) => context.tap(t));
    const save = <T extends tf.Tensor>(t: T) => context.save(t);
    return {
      output: Array.isArray(raw) ? tapped : tapped[0]!,
      record: {
        inputs: keepTensors(given, save),
        kwargs: Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, keepTensors(v, save)])),
        outputs: list.map(save),
      },
    };
  },
  contributions(layer, record, tapGradients) {
    const variables = layer.trainableWeights;
    const batch = batchOf(record.inputs);
    const started = performance.now();
    const perExample: tf.Tensor[][] = variables.map(() => []);
    for (let i = 0; i < batch; i++) {
      const row = (t: tf.Tensor) => tf.slice(t, i, 1);
      const grads = tf.tidy(() => {
        const inputs = mapTensors(record.inputs, batch, row);
        const kwargs = Object.fromEntries(
          Object.entries(record.kwargs).map(([k, v]) => [k, mapTensors(v, batch, row)]),
        );
        const { grads: byName } = tf.variableGrads(
          () => {
            const out = callOwn(layer, inputs, kwargs);
            const outs = Array.isArray(out) ? out : [out];
            if (outs.length !== record.outputs.length) {
              throw new Error(
                `layer "${layer.name}" returned ${outs.length} outputs, ${record.outputs.length} before`,
              );
            }
            for (const [k, o] of outs.entries()) checkOutput(layer, i, o, row(record.outputs[k]!));
            return tf.addN(outs.map((o, k) => tf.sum(tf.mul(o, row(tapGradients[k]!))))) as tf.Scalar;
          },
          variables.map((v) => v.read() as tf.Variable),
        );
        return variables.map((v) => byName[(v.read() as tf.Variable).name] ?? tf.zeros(v.shape as number[]));
      });
      for (const [k, g] of grads.entries()) perExample[k]!.push(g);
    }
    const out = new Map<LayerVariable, GradientContribution>();
    variables.forEach((v, k) => {
      out.set(v, { kind: 'materialized', perExample: tf.stack(perExample[k]!) });
      for (const g of perExample[k]!) g.dispose();
    });
    if (!warned.has(layer)) {
      warned.add(layer);
      const elapsed = performance.now() - started;
      console.warn(
        `@cnm/tfjs: layer "${layer.name}" (${layer.getClassName()}) has no per-example gradient rule; its ` +
          `per-example gradients come from the exact fallback, one backward pass of the layer per example: ` +
          `${elapsed.toFixed(1)} ms for ${batch} examples (${(elapsed / batch).toFixed(2)} ms per example) on ` +
          `the first batch. registerLayerRule() with a book-keeping rule makes it faster.`,
      );
    }
    return out;
  },
};

function checkOutput(layer: AnyLayer, index: number, alone: tf.Tensor, batched: tf.Tensor): void {
  const [gap, scale] = tf.tidy(() => [
    tf.max(tf.abs(tf.sub(alone, batched))).dataSync()[0]!,
    tf.max(tf.abs(batched)).dataSync()[0]!,
  ]);
  if (!(gap <= OUTPUT_TOLERANCE * (1 + scale!))) {
    throw new Error(
      `layer "${layer.name}" (${layer.getClassName()}) gives example ${index} another output when run alone ` +
        `(max difference ${gap}): it mixes the examples of a batch or draws randomness, so its per-example ` +
        'gradients cannot be computed; register a rule for it with registerLayerRule(), or freeze it.',
    );
  }
}
