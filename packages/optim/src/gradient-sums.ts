import { type NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { NumericArray } from './update-rules';

/**
 * The clipped per-example gradient sums of one step: a map from each trainable variable (or its
 * `name`) to its sum (same shape), or a `NamedTensorMap` keyed by `variable.name`. Every variable of the
 * optimizer must have exactly one entry.
 */
export type GradientSums = ReadonlyMap<Variable | string, Tensor> | NamedTensorMap;

/** Checks the variables an optimizer is built over: non-empty, distinct float32 tfjs variables. */
export function checkVariables(variables: readonly Variable[]): Variable[] {
  if (!Array.isArray(variables) || variables.length === 0) {
    throw new TypeError('variables must be a non-empty array of tf.Variable');
  }
  const names = new Set<string>();
  variables.forEach((variable, i) => {
    if (!(variable instanceof Variable)) throw new TypeError(`variables[${i}] must be a tf.Variable`);
    if (variable.isDisposed) throw new TypeError(`variables[${i}] ('${variable.name}') is disposed`);
    if (variable.dtype !== 'float32') {
      throw new TypeError(
        `variables[${i}] ('${variable.name}') must have dtype float32, got ${variable.dtype}`,
      );
    }
    if (names.has(variable.name)) throw new TypeError(`variables[${i}] ('${variable.name}') appears twice`);
    names.add(variable.name);
  });
  return [...variables];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads the gradient sums of `variables`, in their order, after checking that the keys are exactly the
 * variables, that every sum has its variable's shape and a float dtype, and that every value is finite
 * (a non-finite sum would silently turn the parameters into NaN).
 */
export function readGradientSums(variables: readonly Variable[], gradientSums: GradientSums): NumericArray[] {
  if (gradientSums === null || typeof gradientSums !== 'object') {
    throw new TypeError(
      'gradientSums must be a Map keyed by tf.Variable or variable name, or a NamedTensorMap',
    );
  }
  const owned = new Set<string>(variables.map((v) => v.name));
  const byName = new Map<string, unknown>();
  const entries: [unknown, unknown][] =
    gradientSums instanceof Map ? [...gradientSums.entries()] : Object.entries(gradientSums);
  for (const [key, sum] of entries) {
    const name = key instanceof Variable ? key.name : String(key);
    if (!owned.has(name)) {
      throw new RangeError(
        `gradientSums has an entry for '${name}', which is not a variable of this optimizer`,
      );
    }
    if (byName.has(name)) throw new RangeError(`gradientSums has two entries for variable '${name}'`);
    byName.set(name, sum);
  }
  return variables.map((variable) => {
    const sum = byName.get(variable.name);
    if (sum === undefined) {
      throw new RangeError(`gradientSums has no entry for variable '${variable.name}'`);
    }
    if (!(sum instanceof Tensor) || sum.isDisposed) {
      throw new TypeError(`gradientSums entry for '${variable.name}' must be a live tf.Tensor`);
    }
    if (!sameShape(sum.shape, variable.shape)) {
      throw new RangeError(
        `gradient sum for '${variable.name}' must have shape [${variable.shape.join(', ')}], got [${sum.shape.join(', ')}]`,
      );
    }
    if (sum.dtype !== 'float32') {
      throw new TypeError(`gradient sum for '${variable.name}' must have dtype float32, got ${sum.dtype}`);
    }
    const values = sum.dataSync() as Float32Array;
    // A float64 sum of float32 values cannot overflow, so it is finite exactly when every value is.
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[i] as number;
    if (!Number.isFinite(total)) {
      const index = values.findIndex((v) => !Number.isFinite(v));
      throw new RangeError(
        `gradient sum for '${variable.name}' must be finite, got ${String(values[index])} at flat index ${index}`,
      );
    }
    return values;
  });
}
