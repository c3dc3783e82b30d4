import * as tf from '@tensorflow/tfjs-core';
import { collectTrainableLayers } from './per-example/model-layers';
import type { AnyLayer } from './per-example/types';
import { assertBoolean, assertInRange, assertInteger } from './validate';

/** Options of {@link ExponentialWeightAverage}. */
export interface ExponentialWeightAverageOptions {
  /** Largest decay of the average, in [0, 1) (default 0.999). */
  readonly decay?: number;
  /**
   * Warm-up of the decay: the `n`-th update uses `min(decay, (1 + n) / (10 + n))`, so that the average
   * forgets the early iterates while training is short (default `true`; the convention of TensorFlow's
   * `ExponentialMovingAverage` with `num_updates` and of jax_privacy's EMA).
   */
  readonly warmup?: boolean;
  /** Updates before this optimizer step (counted from 1) only copy the weights (default 0: average from the start). */
  readonly startStep?: number;
}

/** Exported state of an {@link ExponentialWeightAverage}: the averages and the update count. */
export interface ExponentialWeightAverageState {
  /** Which average wrote the state. */
  readonly kind: 'exponential-weight-average';
  /** Calls of `update()` so far. */
  readonly updates: number;
  /** The averaged values, per variable, in the order of the variables. */
  readonly averages: readonly Float32Array[];
}

/**
 * Checks weight-average options (as {@link ExponentialWeightAverage}'s constructor does) and returns them with
 * the defaults applied; `name` prefixes the option names in the errors.
 */
export function resolveWeightAverageOptions(
  options: unknown,
  name = 'weightAverage',
): Required<ExponentialWeightAverageOptions> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${name} must be an object such as { decay: 0.999 }, got ${String(options)}`);
  }
  const known = ['decay', 'warmup', 'startStep'];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `unknown ${name} option(s) ${unknown.join(', ')}; the options are ${known.join(', ')}`,
    );
  }
  const { decay = 0.999, warmup = true, startStep = 0 } = options as ExponentialWeightAverageOptions;
  assertInRange(`${name}.decay`, decay, { min: 0, max: 1, maxExclusive: true });
  assertBoolean(`${name}.warmup`, warmup);
  assertInteger(`${name}.startStep`, startStep, 0);
  return { decay, warmup, startStep };
}

/**
 * Exponential moving average of a model's trainable weights (Polyak-Ruppert averaging with exponential
 * weights), evaluated in place of the last iterate. Under differential privacy the average is a function of
 * the released noisy iterates only, so it is post-processing and costs no privacy; it removes much of the
 * noise that the last iterate carries (De et al. 2022, "Unlocking high-accuracy differentially private image
 * classification through scale").
 *
 * Call {@link update} after every optimizer step; {@link withAveragedWeights} runs an evaluation on the
 * averaged weights and restores the trained ones afterwards.
 */
export class ExponentialWeightAverage {
  /** Largest decay. */
  readonly decay: number;
  /** Whether the decay warms up as `(1 + n) / (10 + n)`. */
  readonly warmup: boolean;
  /** First optimizer step (from 1) that is averaged rather than copied. */
  readonly startStep: number;
  readonly #variables: readonly tf.Variable[];
  #averages: tf.Variable[];
  #updates = 0;
  #disposed = false;

  /**
   * Starts the average at the current weights of `source`: a tfjs-layers model (its trainable weights) or
   * a list of variables. Throws a `RangeError` naming a bad option.
   */
  constructor(source: AnyLayer | readonly tf.Variable[], options: ExponentialWeightAverageOptions = {}) {
    const { decay, warmup, startStep } = resolveWeightAverageOptions(options, 'options');
    this.decay = decay;
    this.warmup = warmup;
    this.startStep = startStep;
    this.#variables = Array.isArray(source)
      ? [...(source as readonly tf.Variable[])]
      : collectTrainableLayers(source as AnyLayer).flatMap((e) =>
          e.variables.map((v) => v.read() as tf.Variable),
        );
    if (this.#variables.length === 0)
      throw new RangeError('source must have at least one trainable variable');
    this.#averages = this.#variables.map((v) => tf.variable(v.clone(), false));
  }

  /** Calls of {@link update} so far. */
  get updates(): number {
    return this.#updates;
  }

  /** The decay the next {@link update} uses (0 while it only copies the weights). */
  nextDecay(): number {
    const step = this.#updates + 1;
    if (step < this.startStep) return 0;
    const averaged = step - this.startStep;
    return this.warmup ? Math.min(this.decay, (1 + averaged) / (10 + averaged)) : this.decay;
  }

  /** Folds the current weights into the average: `average = d * average + (1 - d) * weights`. */
  update(): void {
    this.#assertLive();
    const decay = this.nextDecay();
    tf.tidy(() => {
      this.#variables.forEach((variable, i) => {
        const average = this.#averages[i] as tf.Variable;
        average.assign(decay === 0 ? variable : tf.add(tf.mul(average, decay), tf.mul(variable, 1 - decay)));
      });
    });
    this.#updates += 1;
  }

  /** Copies of the averaged weights, in the order of the variables (the caller disposes them). */
  averagedWeights(): tf.Tensor[] {
    this.#assertLive();
    return this.#averages.map((a) => a.clone());
  }

  /**
   * Runs `fn` with the averaged weights assigned to the model's variables, then puts the trained weights
   * back, also when `fn` throws. For synchronous work such as `model.predict` on a test set.
   */
  withAveragedWeights<T>(fn: () => T): T {
    this.#assertLive();
    const trained = this.#variables.map((v) => v.clone());
    try {
      this.#variables.forEach((v, i) => {
        v.assign(this.#averages[i] as tf.Variable);
      });
      return fn();
    } finally {
      this.#variables.forEach((v, i) => {
        v.assign(trained[i] as tf.Tensor);
      });
      tf.dispose(trained);
    }
  }

  /** Exact copy of the state, for checkpoints. */
  exportState(): ExponentialWeightAverageState {
    this.#assertLive();
    return {
      kind: 'exponential-weight-average',
      updates: this.#updates,
      averages: this.#averages.map((a) => new Float32Array(a.dataSync())),
    };
  }

  /** Restores a state exported by an average over variables of the same shapes. */
  restoreState(state: ExponentialWeightAverageState): void {
    this.#assertLive();
    if (state?.kind !== 'exponential-weight-average') {
      throw new TypeError("state.kind must be 'exponential-weight-average'");
    }
    assertInteger('state.updates', state.updates, 0);
    if (state.averages.length !== this.#averages.length) {
      throw new RangeError(
        `state.averages must hold ${this.#averages.length} variables, got ${state.averages.length}`,
      );
    }
    state.averages.forEach((values, i) => {
      const size = (this.#averages[i] as tf.Variable).size;
      if (!(values instanceof Float32Array) || values.length !== size) {
        throw new RangeError(`state.averages[${i}] must be a Float32Array of length ${size}`);
      }
    });
    state.averages.forEach((values, i) => {
      const average = this.#averages[i] as tf.Variable;
      tf.tidy(() => average.assign(tf.tensor(values, average.shape, 'float32')));
    });
    this.#updates = state.updates;
  }

  /** Frees the averages. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose(this.#averages);
    this.#averages = [];
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error('this ExponentialWeightAverage has been disposed');
  }
}
