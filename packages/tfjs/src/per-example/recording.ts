import * as tf from '@tensorflow/tfjs-core';
import type { TrainableLayer } from './model-layers';
import { type CallFn, ownCalls } from './own-calls';
import { ruleForLayer } from './rule-for-layer';
import type { AnyLayer, RecordingContext } from './types';

/** One call of one trainable layer during the recording pass. */
export interface RecordedCall {
  /** The layer and its rule. */
  readonly entry: TrainableLayer;
  /** What the rule saved. */
  readonly record: unknown;
  /** Gradients of the summed loss with respect to the call's taps, in creation order. */
  readonly tapGradients: tf.Tensor[];
}

/** Result of one recording pass; owns its tensors until {@link Recording.dispose}. */
export interface Recording {
  /** Every call of every trainable layer, in execution order. */
  readonly calls: RecordedCall[];
  /** `[B]` per-example losses (unmasked). */
  readonly perExampleLoss: tf.Tensor1D;
  /** Frees every tensor the pass kept. */
  dispose(): void;
}

/**
 * Runs the model once with every trainable layer's `call` replaced by its rule's tapped forward, then one
 * backward pass of `Σᵢ maskᵢ·lossᵢ` to the taps only. Weight gradients are never requested, so tfjs prunes them
 * from the tape (no Conv2DBackpropFilter, no weight matMul). The original `call`s are restored afterwards, even
 * on error.
 */
export function recordPerExampleGradients(
  entries: readonly TrainableLayer[],
  runModel: () => tf.Tensor1D,
  mask: tf.Tensor1D,
): Recording {
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    tf.keep(t);
    kept.push(t);
    return t;
  };
  // engine.gradients() reads the list of differentiated tensors only after running f, so taps created during the
  // forward pass can be appended to it; it requires one entry up front, which the dummy scalar provides.
  const dummy = keep(tf.scalar(0));
  const taps: tf.Tensor[] = [dummy];
  // dLoss/dz of each tap, captured by its recorder's gradient function; the shapes give zeros for a tap whose
  // output never reached the loss.
  const captured: (tf.Tensor | undefined)[] = [undefined];
  const tapShapes: number[][] = [[]];
  const pending: { entry: TrainableLayer; record: unknown; tapIndices: number[] }[] = [];
  const restore: (() => void)[] = [];

  for (const entry of entries) {
    const layer = entry.layer as AnyLayer & { call: CallFn };
    const hadOwn = Object.hasOwn(layer, 'call');
    const original = layer.call;
    const tapped: CallFn = (inputs, kwargs) => {
      const tapIndices: number[] = [];
      const context: RecordingContext = {
        tap(preActivation) {
          // A scalar tap joins an identity "recorder" node whose gradient function captures dLoss/dz: the
          // backward pass then reaches every pre-activation without the zero-filled [B, ...] tap and the
          // full-size add per layer that a tensor tap costs. Reshape to the same shape aliases the data (no
          // copy, unlike Identity on wasm) under a new tensor id, so the tape stays acyclic.
          const index = taps.length;
          const tap = keep(tf.scalar(0));
          tapIndices.push(index);
          taps.push(tap);
          tapShapes.push(preActivation.shape);
          captured.push(undefined);
          const recorder = tf.customGrad(((z: tf.Tensor, scalar: tf.Tensor) => ({
            value: tf.reshape(z, z.shape),
            gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
              const dz = Array.isArray(dy) ? dy[0]! : dy;
              captured[index] = keep(tf.reshape(dz, dz.shape));
              return [dz, tf.zerosLike(scalar)];
            },
          })) as unknown as Parameters<typeof tf.customGrad>[0]);
          return recorder(preActivation, tap);
        },
        // A same-shape reshape aliases the data under its own reference, so releasing the record never frees a
        // tensor the caller still owns (e.g. the model input), and nothing is copied.
        save: <T extends tf.Tensor>(t: T): T => keep(tf.reshape(t, t.shape) as T),
        ruleFor: ruleForLayer,
      };
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const { output, record } = entry.rule.forward(layer, list, kwargs ?? {}, context);
      pending.push({ entry, record, tapIndices });
      return output;
    };
    layer.call = tapped;
    ownCalls.set(layer, original);
    restore.push(() => {
      ownCalls.delete(layer);
      if (hadOwn) layer.call = original;
      else delete (layer as { call?: CallFn }).call;
    });
  }

  let perExampleLoss: tf.Tensor1D | undefined;
  let grads: (tf.Tensor | undefined)[];
  try {
    const result = tf.engine().gradients(
      () => {
        const loss = runModel();
        perExampleLoss = keep(loss);
        return tf.sum(tf.mul(loss, mask));
      },
      taps,
      undefined,
      true,
    );
    result.value.dispose();
    grads = result.grads as (tf.Tensor | undefined)[];
  } catch (error) {
    for (const t of kept) t.dispose();
    throw error;
  } finally {
    for (const undo of restore) undo();
  }
  // The scalar taps' own gradients carry nothing: only the captured dLoss/dz matter.
  for (const g of grads) g?.dispose();
  const calls: RecordedCall[] = pending.map(({ entry, record, tapIndices }) => ({
    entry,
    record,
    tapGradients: tapIndices.map((i) => captured[i] ?? keep(tf.zeros(tapShapes[i]!))),
  }));
  return {
    calls,
    perExampleLoss: perExampleLoss!,
    dispose() {
      for (const t of kept) t.dispose();
      kept.length = 0;
    },
  };
}
