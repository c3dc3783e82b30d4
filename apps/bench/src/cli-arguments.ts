/** Parsers of the bench command line's option values: each throws commander's error naming the option. */
import { InvalidArgumentError } from 'commander';

/** Parses a comma-separated list of finite numbers > 0; `name` is the option in the error. */
export function numberList(name: string) {
  return (value: string): number[] =>
    value.split(',').map((part) => {
      const parsed = Number(part);
      if (!Number.isFinite(parsed) || parsed <= 0) {
        throw new InvalidArgumentError(`${name} must be comma-separated finite numbers > 0, got '${value}'`);
      }
      return parsed;
    });
}

/** Parses an integer ≥ 1; `name` is the option in the error. */
export function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    }
    return parsed;
  };
}

/** Parses a finite number > 0; `name` is the option in the error. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`${name} must be a finite number > 0, got '${value}'`);
    }
    return parsed;
  };
}

/** Parses the weight-average decay, a number in [0, 1). */
export function decayInUnitInterval(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed >= 1) {
    throw new InvalidArgumentError(`weight-average-decay must be a number in [0, 1), got '${value}'`);
  }
  return parsed;
}

/** Parses a seed, a safe integer ≥ 0. */
export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError(`seed must be a non-negative integer, got '${value}'`);
  }
  return parsed;
}
