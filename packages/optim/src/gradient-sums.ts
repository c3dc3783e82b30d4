import { type NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { NumericArray } from './update-rules';

/**
 * The clipped per-example gradient sums of one step: a map from each trainable variable to its sum
 * (same shape), or a `NamedTensorMap` keyed by `variable.name`. Every variable of the optimizer must
 * have exactly one entry.
 */
export type GradientSums = ReadonlyMap<Variable, Tensor> | NamedTensorMap;

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
    throw new TypeError('gradientSums must be a Map<tf.Variable, tf.Tensor> or a NamedTensorMap');
  }
  const isMap = gradientSums instanceof Map;
  const owned = new Set<string>(variables.map((v) => v.name));
  const keys: string[] = isMap
    ? [...(gradientSums as ReadonlyMap<Variable, Tensor>).keys()].map((v) =>
        v instanceof Variable ? v.name : String(v),
      )
    : Object.keys(gradientSums);
  for (const key of keys) {
    if (!owned.has(key)) {
      throw new RangeError(
        `gradientSums has an entry for '${key}', which is not a variable of this optimizer`,
      );
    }
  }
  return variables.map((variable) => {
    const sum = isMap
      ? (gradientSums as ReadonlyMap<Variable, Tensor>).get(variable)
      : (gradientSums as NamedTensorMap)[variable.name];
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
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i] as number)) {
        throw new RangeError(
          `gradient sum for '${variable.name}' must be finite, got ${String(values[i])} at flat index ${i}`,
        );
      }
    }
    return values;
  });
}
