import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { fallbackRule } from '../fallback-rule';
import type { AnyLayer, GradientContribution, LayerCallKwargs, LayerRule, RecordingContext } from '../types';
import { addBiasContribution, requireVariable } from './common';

interface Activation {
  apply(x: tf.Tensor): tf.Tensor;
}

/** The fields of tfjs-layers' SimpleRNNCell, LSTMCell and GRUCell the rule reads. */
interface CellFields {
  kernel?: LayerVariable | null;
  recurrentKernel?: LayerVariable | null;
  bias?: LayerVariable | null;
  activation: Activation;
  recurrentActivation?: Activation;
  units: number;
  dropout?: number;
  recurrentDropout?: number;
}

interface RecurrentFields {
  cell?: CellFields & { getClassName(): string };
  goBackwards?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  stateful?: boolean;
}

type CellKind = 'SimpleRNNCell' | 'LSTMCell' | 'GRUCell';

interface BookkeepingRecord {
  readonly kind: CellKind;
  /** Inputs in processing order (reversed when going backwards), `[B, T, d]`. */
  readonly inputs: tf.Tensor;
  /** The state `h` each step started from, `[B, T, units]`. */
  readonly previous: tf.Tensor;
  /** GRU only: `r ⊙ h` each step fed to the candidate's recurrent kernel, `[B, T, units]`. */
  readonly resetPrevious?: tf.Tensor;
  readonly fallback?: undefined;
}

type RecurrentRecord = BookkeepingRecord | { readonly fallback: unknown };

const cellKinds: readonly CellKind[] = ['SimpleRNNCell', 'LSTMCell', 'GRUCell'];

/** Why the book-keeping forward cannot reproduce this call (then the exact fallback serves it), or undefined. */
function unsupported(layer: AnyLayer, inputs: tf.Tensor[], kwargs: LayerCallKwargs): string | undefined {
  const f = layer as unknown as RecurrentFields;
  const cell = f.cell;
  if (cell == null || !cellKinds.includes(cell.getClassName() as CellKind)) return 'custom cell';
  if (f.stateful === true) return 'stateful';
  if ((cell.dropout ?? 0) > 0 || (cell.recurrentDropout ?? 0) > 0) return 'dropout';
  if (kwargs.initialState != null || inputs.length !== 1 || inputs[0]!.rank !== 3) return 'initial state';
  return undefined;
}

/** `out·m + previous·(1 − m)`, exactly as tfjs-layers applies a mask step. */
function masked(next: tf.Tensor, previous: tf.Tensor, stepMask: tf.Tensor | undefined): tf.Tensor {
  if (stepMask == null) return next;
  return tf.add(tf.mul(next, stepMask), tf.mul(previous, tf.sub(tf.onesLike(stepMask), stepMask)));
}

function recurrentForward(
  layer: AnyLayer,
  x: tf.Tensor,
  kwargs: LayerCallKwargs,
  context: RecordingContext,
): { output: tf.Tensor | tf.Tensor[]; record: BookkeepingRecord } {
  const f = layer as unknown as RecurrentFields;
  const cell = f.cell!;
  const kind = (cell as { getClassName(): string }).getClassName() as CellKind;
  const kernel = requireVariable(layer, cell.kernel, 'kernel').read();
  const recurrentKernel = requireVariable(layer, cell.recurrentKernel, 'recurrent kernel').read();
  const bias = cell.bias?.read();
  const units = cell.units;
  const batch = x.shape[0]!;
  let steps = tf.unstack(x, 1);
  let stepMasks: tf.Tensor[] | undefined;
  const mask = kwargs.mask as tf.Tensor | null | undefined;
  if (mask != null) {
    const asFloat = tf.cast(tf.cast(mask, 'bool'), 'float32');
    stepMasks = tf.unstack(asFloat.rank === 2 ? tf.expandDims(asFloat, -1) : asFloat, 1);
  }
  if (f.goBackwards === true) {
    // Reversed copies: tf.unstack's array is the one its tape node keeps, so reversing it in place would reverse
    // the input gradient too.
    steps = [...steps].reverse();
    stepMasks = stepMasks == null ? undefined : [...stepMasks].reverse();
  }
  let h: tf.Tensor = tf.zeros([batch, units]);
  let c: tf.Tensor = tf.zeros([batch, units]);
  const outputs: tf.Tensor[] = [];
  const previous: tf.Tensor[] = [];
  const resetPrevious: tf.Tensor[] = [];
  for (const [t, input] of steps.entries()) {
    previous.push(h);
    const stepMask = stepMasks?.[t];
    let output: tf.Tensor;
    if (kind === 'SimpleRNNCell') {
      let z = tf.matMul(input, kernel);
      if (bias != null) z = tf.add(z, bias);
      z = context.tap(tf.add(z, tf.matMul(h, recurrentKernel)));
      output = cell.activation.apply(z);
      h = masked(output, h, stepMask);
    } else if (kind === 'LSTMCell') {
      let z = tf.add(tf.matMul(input, kernel), tf.matMul(h, recurrentKernel));
      if (bias != null) z = tf.add(z, bias);
      z = context.tap(z);
      const [z0, z1, z2, z3] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const recurrentActivation = cell.recurrentActivation!;
      const inputGate = recurrentActivation.apply(z0);
      const forgetGate = recurrentActivation.apply(z1);
      const carry = tf.add(tf.mul(forgetGate, c), tf.mul(inputGate, cell.activation.apply(z2)));
      output = tf.mul(recurrentActivation.apply(z3), cell.activation.apply(carry));
      c = masked(carry, c, stepMask);
      h = masked(output, h, stepMask);
    } else {
      let matrixX = tf.matMul(input, kernel);
      if (bias != null) matrixX = tf.add(matrixX, bias);
      const [recurrentGates, recurrentCandidate] = tf.split(recurrentKernel, [2 * units, units], 1) as [
        tf.Tensor,
        tf.Tensor,
      ];
      const [xZ, xR, xH] = tf.split(matrixX, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [innerZ, innerR] = tf.split(tf.matMul(h, recurrentGates), 2, 1) as [tf.Tensor, tf.Tensor];
      const recurrentActivation = cell.recurrentActivation!;
      const update = recurrentActivation.apply(context.tap(tf.add(xZ, innerZ)));
      const reset = recurrentActivation.apply(context.tap(tf.add(xR, innerR)));
      const resetH = tf.mul(reset, h);
      resetPrevious.push(resetH);
      const candidate = cell.activation.apply(context.tap(tf.add(xH, tf.matMul(resetH, recurrentCandidate))));
      output = tf.add(tf.mul(update, h), tf.mul(tf.add(1, tf.neg(update)), candidate));
      h = masked(output, h, stepMask);
    }
    // tfjs-layers' per-step output is the new state (the previous one on masked steps).
    outputs.push(h);
  }
  const sequence = f.returnSequences === true ? tf.stack(outputs, 1) : outputs[outputs.length - 1]!;
  const states = kind === 'LSTMCell' ? [h, c] : [h];
  const record: BookkeepingRecord = {
    kind,
    inputs: context.save(tf.stack(steps, 1)),
    previous: context.save(tf.stack(previous, 1)),
    ...(kind === 'GRUCell' ? { resetPrevious: context.save(tf.stack(resetPrevious, 1)) } : {}),
  };
  return { output: f.returnState === true ? [sequence, ...states] : sequence, record };
}

function recurrentContributions(
  layer: AnyLayer,
  record: BookkeepingRecord,
  tapGradients: tf.Tensor[],
): Map<LayerVariable, GradientContribution> {
  const cell = (layer as unknown as RecurrentFields).cell!;
  const out = new Map<LayerVariable, GradientContribution>();
  const kernel = requireVariable(layer, cell.kernel, 'kernel');
  const recurrentKernel = requireVariable(layer, cell.recurrentKernel, 'recurrent kernel');
  if (record.kind !== 'GRUCell') {
    // One pre-activation per step: the kernels' per-example gradients are sums over steps of outer products,
    // the recurrent kernel's shared across steps.
    const right = tf.stack(tapGradients, 1);
    out.set(kernel, { kind: 'outer', left: record.inputs, right });
    out.set(recurrentKernel, { kind: 'outer', left: record.previous, right });
    addBiasContribution(out, cell.bias, right);
    return out;
  }
  const steps = tapGradients.length / 3;
  const byGate = [0, 1, 2].map((gate) =>
    tf.stack(
      Array.from({ length: steps }, (_, t) => tapGradients[3 * t + gate]!),
      1,
    ),
  ) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const right = tf.concat(byGate, 2);
  out.set(kernel, { kind: 'outer', left: record.inputs, right });
  // The recurrent kernel's gate columns see h, its candidate columns see r ⊙ h: one outer product over twice the
  // positions, each half zero in the other's columns.
  const zeros = tf.zerosLike(byGate[2]);
  out.set(recurrentKernel, {
    kind: 'outer',
    left: tf.concat([record.previous, record.resetPrevious!], 1),
    right: tf.concat(
      [
        tf.concat([byGate[0], byGate[1], zeros], 2),
        tf.concat([tf.zerosLike(byGate[0]), zeros, byGate[2]], 2),
      ],
      1,
    ),
  });
  addBiasContribution(out, cell.bias, right);
  return out;
}

/**
 * SimpleRNN, LSTM and GRU by book-keeping: the recurrence runs step by step with each step's pre-activation
 * tapped, so one backward pass gives every step's `dLoss/dz`; each example's kernel gradient is `Σₜ xₜᵀ·dzₜ` and
 * its recurrent kernel gradient `Σₜ hₜ₋₁ᵀ·dzₜ` (GRU's candidate columns: `(r ⊙ hₜ₋₁)ᵀ·dzₜ`): the shared kernel's
 * contributions summed over time before the norm. Masks (masked steps keep the previous state and get no
 * gradient), going backwards and returned sequences and states as tfjs-layers computes them. Dropout, initial
 * states and custom cells go to the exact fallback; stateful layers are refused.
 */
export const recurrentRule: LayerRule<RecurrentRecord> = {
  forward(layer, inputs, kwargs, context) {
    if (unsupported(layer, inputs, kwargs) != null) {
      const { output, record } = fallbackRule.forward(layer, inputs, kwargs, context);
      return { output, record: { fallback: record } };
    }
    return recurrentForward(layer, inputs[0]!, kwargs, context);
  },
  contributions(layer, record, tapGradients) {
    if (record.fallback !== undefined) {
      return fallbackRule.contributions(layer, record.fallback as never, tapGradients);
    }
    return recurrentContributions(layer, record as BookkeepingRecord, tapGradients);
  },
};
