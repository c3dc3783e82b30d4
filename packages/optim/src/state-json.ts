import { type NoiseStreamStateJson, noiseStreamStateFromJson, noiseStreamStateToJson } from '@cnm/core';
import type { SeededRandomState } from '@cnm/sampler';
import type { CorrelatedNoiseState } from './correlated-noise';
import type { DpAdamBcState } from './dp-adam-bc';
import type { DpSgdState } from './dp-sgd';
import type { DpTfjsOptimizerState } from './dp-tfjs-optimizer';
import type { SavedOptimizerVariable, TfjsOptimizerSlots } from './tfjs-optimizer-slots';

/** The state of either optimizer. */
export type DpOptimizerState = DpSgdState | DpAdamBcState | DpTfjsOptimizerState;

/** JSON form of a {@link CorrelatedNoiseState}: buffers as plain number arrays. */
export interface CorrelatedNoiseStateJson {
  /** Name of the strategy. */
  readonly strategy: string;
  /** The first coefficients of C. */
  readonly strategyCoefficients: readonly number[];
  /** Coordinates per step. */
  readonly size: number;
  /** Standard deviation of the draws. */
  readonly standardDeviation: number;
  /** Steps emitted so far. */
  readonly step: number;
  /** The main stream's state. */
  readonly stream: NoiseStreamStateJson;
  /** The impulse stream's state. */
  readonly impulse: NoiseStreamStateJson;
  /** Squared norm of the last row of C^-1. */
  readonly rowNormSquared: number;
  /** Generator state, `null` in secure mode. */
  readonly random: SeededRandomState | null;
}

/** JSON form of a {@link DpSgdState}. */
export interface DpSgdStateJson extends Omit<DpSgdState, 'noise' | 'velocity'> {
  /** The noise state. */
  readonly noise: CorrelatedNoiseStateJson;
  /** Momentum buffers as number arrays, or `null`. */
  readonly velocity: number[][] | null;
}

/** JSON form of a {@link DpAdamBcState}. */
export interface DpAdamBcStateJson extends Omit<DpAdamBcState, 'noise' | 'firstMoment' | 'secondMoment'> {
  /** The noise state. */
  readonly noise: CorrelatedNoiseStateJson;
  /** First moments as number arrays. */
  readonly firstMoment: number[][];
  /** Second moments as number arrays. */
  readonly secondMoment: number[][];
}

/** JSON form of a {@link DpOptimizerState}: typed arrays as plain number arrays (exact round trip). */
export type DpOptimizerStateJson = DpSgdStateJson | DpAdamBcStateJson | DpTfjsOptimizerStateJson;

/** JSON form of a tfjs optimizer variable ({@link SavedOptimizerVariable}): values as a number array. */
export interface SavedOptimizerVariableJson extends Omit<SavedOptimizerVariable, 'values'> {
  /** The values. */
  readonly values: number[];
}

/** JSON form of a {@link TfjsOptimizerSlots}. */
export interface TfjsOptimizerSlotsJson extends Omit<TfjsOptimizerSlots, 'slots' | 'variables'> {
  /** The per-variable slots, by field name. */
  readonly slots: Readonly<Record<string, readonly SavedOptimizerVariableJson[]>>;
  /** The other variables, by field name. */
  readonly variables: Readonly<Record<string, SavedOptimizerVariableJson>>;
}

/** JSON form of a {@link DpTfjsOptimizerState}. */
export interface DpTfjsOptimizerStateJson extends Omit<DpTfjsOptimizerState, 'noise' | 'inner'> {
  /** The noise state. */
  readonly noise: CorrelatedNoiseStateJson;
  /** The tfjs optimizer's state, when saved. */
  readonly inner?: TfjsOptimizerSlotsJson;
}

const savedToJson = (v: SavedOptimizerVariable): SavedOptimizerVariableJson => ({
  ...v,
  values: Array.from(v.values),
});

function savedFromJson(json: SavedOptimizerVariableJson, name: string): SavedOptimizerVariable {
  return { ...json, values: (toFloat32(name, [json?.values]) as [Float32Array])[0] };
}

function slotsToJson(inner: TfjsOptimizerSlots): TfjsOptimizerSlotsJson {
  return {
    ...inner,
    slots: Object.fromEntries(
      Object.entries(inner.slots).map(([field, entries]) => [field, entries.map(savedToJson)]),
    ),
    variables: Object.fromEntries(Object.entries(inner.variables).map(([f, v]) => [f, savedToJson(v)])),
  };
}

function slotsFromJson(json: TfjsOptimizerSlotsJson): TfjsOptimizerSlots {
  if (json === null || typeof json !== 'object') throw new TypeError('json.inner must be an object');
  return {
    ...json,
    slots: Object.fromEntries(
      Object.entries(json.slots ?? {}).map(([field, entries]) => [
        field,
        (entries ?? []).map((e, i) => savedFromJson(e, `inner.slots.${field}[${i}]`)),
      ]),
    ),
    variables: Object.fromEntries(
      Object.entries(json.variables ?? {}).map(([f, v]) => [f, savedFromJson(v, `inner.variables.${f}`)]),
    ),
  };
}

/** Converts a noise state to JSON-serialisable data. */
export function correlatedNoiseStateToJson(state: CorrelatedNoiseState): CorrelatedNoiseStateJson {
  return {
    ...state,
    stream: noiseStreamStateToJson(state.stream),
    impulse: noiseStreamStateToJson(state.impulse),
  };
}

/** Rebuilds a noise state from {@link correlatedNoiseStateToJson} output (`restoreState` checks the rest). */
export function correlatedNoiseStateFromJson(json: CorrelatedNoiseStateJson): CorrelatedNoiseState {
  if (json === null || typeof json !== 'object')
    throw new TypeError('json must be a CorrelatedNoiseStateJson');
  return {
    ...json,
    stream: noiseStreamStateFromJson(json.stream),
    impulse: noiseStreamStateFromJson(json.impulse),
  };
}

function toFloat32(name: string, arrays: readonly number[][]): Float32Array[] {
  if (!Array.isArray(arrays)) throw new TypeError(`json.${name} must be an array of number arrays`);
  return arrays.map((values, i) => {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`json.${name}[${i}] must be an array of finite numbers`);
    }
    return Float32Array.from(values);
  });
}

/**
 * Converts an optimizer state to JSON-serialisable data: `JSON.stringify` of the result and
 * {@link optimizerStateFromJson} of the parsed text restore it exactly (float32 and float64 values
 * round-trip through JSON numbers). Keep it as secret as the training data.
 */
export function optimizerStateToJson(state: DpOptimizerState): DpOptimizerStateJson {
  const noise = correlatedNoiseStateToJson(state.noise);
  const variableShapes = state.variableShapes.map((shape) => [...shape]);
  if (state.kind === 'dp-sgd') {
    return {
      ...state,
      variableShapes,
      noise,
      velocity: state.velocity === null ? null : state.velocity.map((v) => Array.from(v)),
    };
  }
  if (state.kind === 'dp-tfjs') {
    const { inner, ...rest } = state;
    return { ...rest, variableShapes, noise, ...(inner === undefined ? {} : { inner: slotsToJson(inner) }) };
  }
  return {
    ...state,
    variableShapes,
    noise,
    firstMoment: state.firstMoment.map((m) => Array.from(m)),
    secondMoment: state.secondMoment.map((v) => Array.from(v)),
  };
}

/** Rebuilds an optimizer state from {@link optimizerStateToJson} output. */
export function optimizerStateFromJson(json: DpOptimizerStateJson): DpOptimizerState {
  if (json === null || typeof json !== 'object') throw new TypeError('json must be a DpOptimizerStateJson');
  const noise = correlatedNoiseStateFromJson(json.noise);
  if (json.kind === 'dp-sgd') {
    return { ...json, noise, velocity: json.velocity === null ? null : toFloat32('velocity', json.velocity) };
  }
  if (json.kind === 'dp-tfjs') {
    const { inner, ...rest } = json;
    return { ...rest, noise, ...(inner === undefined ? {} : { inner: slotsFromJson(inner) }) };
  }
  if (json.kind === 'dp-adam-bc') {
    return {
      ...json,
      noise,
      firstMoment: toFloat32('firstMoment', json.firstMoment),
      secondMoment: toFloat32('secondMoment', json.secondMoment),
    };
  }
  throw new TypeError(
    `json.kind must be 'dp-sgd', 'dp-adam-bc' or 'dp-tfjs', got '${String((json as { kind: unknown }).kind)}'`,
  );
}
