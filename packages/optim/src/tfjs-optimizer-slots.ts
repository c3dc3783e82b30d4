/**
 * The exact state of a tfjs optimizer (`tf.train.adam`, `momentum`, `rmsprop`, `adagrad`, `adadelta`, `adamax`,
 * `sgd`), read and written synchronously: its iteration count, its per-variable slots (moments, accumulators) and
 * its other variables (Adam's running `beta^t` products, Adamax's iteration). tfjs's own `getWeights` is
 * asynchronous, leaves Adam's running products out (`setWeights` recomputes them with `pow`, which can differ in
 * the last bit) and is missing for Adamax; checkpoints need the exact values, at once.
 */
import { type Optimizer, tensor, type Variable, variable } from '@tensorflow/tfjs-core';

/** One variable of a tfjs optimizer in a {@link TfjsOptimizerSlots}. */
export interface SavedOptimizerVariable {
  /** The name the optimizer gave it (its slot suffix, e.g. `m` in `dense/kernel/m`, is kept on restore). */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its values (float32). */
  readonly values: Float32Array;
}

/** The exported state of a tfjs optimizer given to `DpTfjsOptimizer` (its `inner` state). Keep it secret. */
export interface TfjsOptimizerSlots {
  /** The optimizer's class (`getClassName()`: `'Adam'`, `'Momentum'`, ...). */
  readonly className: string;
  /** Its settings (`getConfig()`): a state restores only into an optimizer with the same ones. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Updates applied (tfjs's `iterations`). */
  readonly iterations: number;
  /** The per-variable slots, by the optimizer's field name, in the order of the trained variables. */
  readonly slots: Readonly<Record<string, readonly SavedOptimizerVariable[]>>;
  /** The optimizer's other variables, by field name. */
  readonly variables: Readonly<Record<string, SavedOptimizerVariable>>;
}

/** One entry of a tfjs optimizer's slot array (tfjs's `OptimizerVariable`). */
interface SlotEntry {
  originalName: string;
  variable: Variable;
}

function isVariable(value: unknown): value is Variable {
  // tfjs's Variable: a tensor with `assign` and a `trainable` flag (`instanceof` fails across tfjs-core copies).
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { assign?: unknown }).assign === 'function' &&
    typeof (value as { trainable?: unknown }).trainable === 'boolean' &&
    typeof (value as { dataSync?: unknown }).dataSync === 'function'
  );
}

function isSlotEntry(value: unknown): value is SlotEntry {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as SlotEntry).originalName === 'string' &&
    isVariable((value as SlotEntry).variable)
  );
}

/** The optimizer's fields that hold slot arrays and variables (its own properties, in a fixed order). */
function fieldsOf(optimizer: Optimizer): {
  slots: Record<string, SlotEntry[]>;
  variables: Record<string, Variable>;
} {
  const slots: Record<string, SlotEntry[]> = {};
  const variables: Record<string, Variable> = {};
  for (const key of Object.keys(optimizer).sort()) {
    const value = (optimizer as unknown as Record<string, unknown>)[key];
    if (isVariable(value)) variables[key] = value;
    else if (Array.isArray(value) && Array.from(value).every(isSlotEntry)) slots[key] = value as SlotEntry[];
  }
  return { slots, variables };
}

function save(name: string, v: Variable, field: string): SavedOptimizerVariable {
  if (v.dtype !== 'float32') {
    throw new TypeError(`tfjs optimizer variable '${field}' is ${v.dtype}; only float32 state can be saved`);
  }
  return { name, shape: [...v.shape], values: new Float32Array(v.dataSync() as Float32Array) };
}

function configOf(optimizer: Optimizer): Record<string, unknown> {
  return JSON.parse(JSON.stringify(optimizer.getConfig())) as Record<string, unknown>;
}

/** Exact copy of a tfjs optimizer's state: iterations, slots and other variables (read synchronously). */
export function exportTfjsOptimizerSlots(optimizer: Optimizer): TfjsOptimizerSlots {
  const { slots, variables } = fieldsOf(optimizer);
  return {
    className: optimizer.getClassName(),
    config: configOf(optimizer),
    iterations: (optimizer as unknown as { iterations: number }).iterations,
    slots: Object.fromEntries(
      Object.entries(slots).map(([field, entries]) => [
        field,
        entries.map((entry) => save(entry.originalName, entry.variable, field)),
      ]),
    ),
    variables: Object.fromEntries(
      Object.entries(variables).map(([field, v]) => [field, save(field, v, field)]),
    ),
  };
}

function checkSaved(
  saved: SavedOptimizerVariable | undefined,
  shape: readonly number[],
  name: string,
): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (
    saved === null ||
    typeof saved !== 'object' ||
    !Array.isArray(saved.shape) ||
    saved.shape.join(',') !== shape.join(',') ||
    !(saved.values instanceof Float32Array) ||
    saved.values.length !== size
  ) {
    throw new RangeError(`${name} must hold float32 values of shape [${shape.join(', ')}]`);
  }
  return new Float32Array(saved.values);
}

/** The slot name for a trained variable of this run: its name and the saved slot's suffix. */
function slotName(variableName: string, savedName: string): string {
  const suffix = savedName.slice(savedName.lastIndexOf('/') + 1);
  return `${variableName}/${suffix}`;
}

/**
 * Checks a {@link TfjsOptimizerSlots} against `optimizer` (same class and settings, the same fields, slot shapes those
 * of `trained`, the variables it updates) and returns the function that installs it; a bad state throws here and
 * changes nothing. `name` prefixes the errors (e.g. `'state.inner'`).
 */
export function prepareTfjsOptimizerSlots(
  optimizer: Optimizer,
  trained: readonly Variable[],
  state: TfjsOptimizerSlots,
  name: string,
): () => void {
  if (state === null || typeof state !== 'object')
    throw new TypeError(`${name} must be a tfjs optimizer state`);
  if (state.className !== optimizer.getClassName()) {
    throw new RangeError(
      `${name} is the state of a tfjs ${String(state.className)} optimizer, this run has ${optimizer.getClassName()}`,
    );
  }
  const config = JSON.stringify(configOf(optimizer));
  if (JSON.stringify(state.config) !== config) {
    throw new RangeError(
      `${name} was saved with the optimizer settings ${JSON.stringify(state.config)}, this run's are ${config}`,
    );
  }
  if (!Number.isSafeInteger(state.iterations) || state.iterations < 0) {
    throw new RangeError(`${name}.iterations must be an integer >= 0, got ${String(state.iterations)}`);
  }
  const { slots, variables } = fieldsOf(optimizer);
  const savedSlots = state.slots ?? {};
  const savedVariables = state.variables ?? {};
  const same = (a: object, b: object) => Object.keys(a).sort().join(',') === Object.keys(b).sort().join(',');
  if (!same(slots, savedSlots) || !same(variables, savedVariables)) {
    throw new RangeError(
      `${name} holds the fields ${[...Object.keys(savedSlots), ...Object.keys(savedVariables)].join(', ')}, ` +
        `this optimizer has ${[...Object.keys(slots), ...Object.keys(variables)].join(', ')}`,
    );
  }
  const slotValues = Object.entries(savedSlots).map(([field, entries]) => {
    if (!Array.isArray(entries) || (entries.length !== 0 && entries.length !== trained.length)) {
      throw new RangeError(`${name}.slots.${field} must hold 0 or ${trained.length} variables`);
    }
    const values = entries.map((entry, i) =>
      checkSaved(entry, trained[i]!.shape, `${name}.slots.${field}[${i}]`),
    );
    return { field, entries, values };
  });
  const variableValues = Object.entries(savedVariables).map(([field, saved]) => ({
    field,
    values: checkSaved(saved, (variables[field] as Variable).shape, `${name}.variables.${field}`),
  }));
  return () => {
    for (const { field, entries, values } of slotValues) {
      const live = slots[field] as SlotEntry[];
      values.forEach((data, i) => {
        const shape = [...trained[i]!.shape];
        const value = tensor(data, shape, 'float32');
        const existing = live[i];
        if (existing !== undefined) {
          existing.variable.assign(value);
        } else {
          live[i] = {
            originalName: slotName(trained[i]!.name, entries[i]!.name),
            variable: variable(value, false),
          };
        }
        value.dispose();
      });
      // A state saved before the first update has no slots: the optimizer starts them afresh, as tfjs does.
      for (const extra of live.splice(values.length)) extra.variable.dispose();
    }
    for (const { field, values } of variableValues) {
      const target = variables[field] as Variable;
      const value = tensor(values, [...target.shape], 'float32');
      target.assign(value);
      value.dispose();
    }
    (optimizer as unknown as { iterations_: number }).iterations_ = state.iterations;
  };
}
