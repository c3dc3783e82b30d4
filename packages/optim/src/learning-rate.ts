import { assertInRange, assertInteger, assertNonNegative } from './validate';

/**
 * A learning rate as a function of the 0-based step index. It must return a finite number `>= 0`;
 * the optimizers check every value they receive.
 */
export type LearningRateSchedule = (step: number) => number;

/** A constant learning rate or a schedule. */
export type LearningRate = number | LearningRateSchedule;

/**
 * Resolves a {@link LearningRate} at `step` and checks the value: a negative, NaN or infinite learning
 * rate is a `RangeError` naming the step.
 */
export function learningRateAt(learningRate: LearningRate, step: number): number {
  const value = typeof learningRate === 'number' ? learningRate : learningRate(step);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `learningRate must be a finite number >= 0, got ${String(value)}` +
        (typeof learningRate === 'number' ? '' : ` from the schedule at step ${step}`),
    );
  }
  return value;
}

/** Checks a {@link LearningRate} when an optimizer is built (a number now, a schedule at step 0). */
export function validateLearningRate(learningRate: LearningRate): void {
  if (typeof learningRate === 'function') {
    learningRateAt(learningRate, 0);
    return;
  }
  if (typeof learningRate !== 'number') {
    throw new TypeError(
      `learningRate must be a number or a function of the step, got ${typeof learningRate}`,
    );
  }
  assertNonNegative('learningRate', learningRate);
}

/**
 * Exponential decay: `initial * decayRate^(step / decaySteps)`, or with `staircase` the exponent
 * rounded down (a step decay every `decaySteps` steps).
 */
export function exponentialDecay(options: {
  /** Learning rate at step 0. */
  initial: number;
  /** Factor applied every `decaySteps` steps, in (0, 1]. */
  decayRate: number;
  /** Steps per decay period, a positive integer. */
  decaySteps: number;
  /** Decay in discrete jumps instead of continuously. */
  staircase?: boolean;
}): LearningRateSchedule {
  const { initial, decayRate, decaySteps, staircase = false } = options;
  assertNonNegative('initial', initial);
  assertInRange('decayRate', decayRate, { min: 0, max: 1, minExclusive: true });
  assertInteger('decaySteps', decaySteps, 1);
  return (step) => {
    const exponent = staircase ? Math.floor(step / decaySteps) : step / decaySteps;
    return initial * decayRate ** exponent;
  };
}

/**
 * Step decay: `initial * factor^floor(step / everySteps)`, the learning rate multiplied by `factor` every
 * `everySteps` steps (`exponentialDecay` with `staircase`, under the usual name).
 */
export function stepDecay(options: {
  /** Learning rate at step 0. */
  initial: number;
  /** Factor applied every `everySteps` steps, in (0, 1]. */
  factor: number;
  /** Steps between two decays, a positive integer. */
  everySteps: number;
}): LearningRateSchedule {
  assertInRange('factor', options.factor, { min: 0, max: 1, minExclusive: true });
  assertInteger('everySteps', options.everySteps, 1);
  return exponentialDecay({
    initial: options.initial,
    decayRate: options.factor,
    decaySteps: options.everySteps,
    staircase: true,
  });
}

/**
 * Cosine decay from `initial` to `final` over `totalSteps` steps, then constant at `final`.
 */
export function cosineDecay(options: {
  /** Learning rate at step 0. */
  initial: number;
  /** Steps over which to decay, a positive integer. */
  totalSteps: number;
  /** Learning rate at and after `totalSteps` (default 0). */
  final?: number;
}): LearningRateSchedule {
  const { initial, totalSteps, final = 0 } = options;
  assertNonNegative('initial', initial);
  assertNonNegative('final', final);
  assertInteger('totalSteps', totalSteps, 1);
  return (step) => {
    const progress = Math.min(step, totalSteps) / totalSteps;
    return final + 0.5 * (initial - final) * (1 + Math.cos(Math.PI * progress));
  };
}

/**
 * Linear warm-up: the learning rate rises linearly from `after(0) / warmupSteps` at step 0 to
 * `after(0)` at step `warmupSteps - 1`; from step `warmupSteps` on it follows `after(step - warmupSteps)`.
 */
export function linearWarmup(warmupSteps: number, after: LearningRate): LearningRateSchedule {
  assertInteger('warmupSteps', warmupSteps, 1);
  validateLearningRate(after);
  return (step) => {
    if (step < warmupSteps) return (learningRateAt(after, 0) * (step + 1)) / warmupSteps;
    return learningRateAt(after, step - warmupSteps);
  };
}

/**
 * Piecewise-constant learning rate: `values[i]` while `step < boundaries[i]`, `values[last]` after
 * the last boundary. `values` has one more entry than `boundaries`, which must increase strictly.
 */
export function piecewiseConstant(
  boundaries: readonly number[],
  values: readonly number[],
): LearningRateSchedule {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `values must have boundaries.length + 1 = ${boundaries.length + 1} entries, got ${values.length}`,
    );
  }
  boundaries.forEach((b, i) => {
    assertInteger(`boundaries[${i}]`, b, i === 0 ? 1 : (boundaries[i - 1] as number) + 1);
  });
  values.forEach((v, i) => {
    assertNonNegative(`values[${i}]`, v);
  });
  const bounds = [...boundaries];
  const vals = [...values];
  return (step) => {
    let i = 0;
    while (i < bounds.length && step >= (bounds[i] as number)) i++;
    return vals[i] as number;
  };
}
