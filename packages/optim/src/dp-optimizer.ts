import { tensor, type Variable } from '@tensorflow/tfjs-core';
import { CorrelatedNoise, type CorrelatedNoiseOptions, type CorrelatedNoiseState } from './correlated-noise';
import { checkVariables, type GradientSums, readGradientSums } from './gradient-sums';
import { type LearningRate, learningRateAt, validateLearningRate } from './learning-rate';
import type { NumericArray } from './update-rules';
import { assertPositive } from './validate';

/** The noise settings of an optimizer: {@link CorrelatedNoiseOptions} without the size, which the variables fix. */
export type NoiseOptions = Omit<CorrelatedNoiseOptions, 'size'>;

/** Options shared by {@link DpSgd} and {@link DpAdamBc}. */
export interface DpOptimizerOptions {
  /** The trainable variables, in a fixed order (the noise vector and the state follow it). */
  readonly variables: readonly Variable[];
  /** A constant learning rate `>= 0` or a schedule of the 0-based step. */
  readonly learningRate: LearningRate;
  /** How the correlated noise is made. */
  readonly noise: NoiseOptions;
}

/** State common to every optimizer's export. */
export interface DpOptimizerStateBase {
  /** Steps taken. */
  readonly step: number;
  /** Shapes of the variables, in order (checked on restore). */
  readonly variableShapes: readonly (readonly number[])[];
  /** The noise generator's state. */
  readonly noise: CorrelatedNoiseState;
}

/** What a concrete optimizer needs to update one step. */
export interface StepContext {
  /** 0-based index of this step. */
  readonly step: number;
  /** Learning rate at this step. */
  readonly learningRate: number;
  /** Divisor of the noisy gradient sums. */
  readonly normaliser: number;
  /** This step's noise over all coordinates (variable i at `offsets[i]`). */
  readonly noise: Float64Array;
  /** Gradient sums in variable order. */
  readonly gradientSums: readonly NumericArray[];
  /** Parameter values in variable order, to update in place. */
  readonly params: readonly Float32Array[];
}

/**
 * Common machinery of the DP optimizers: variable bookkeeping, gradient checks, noise, learning-rate
 * schedule and writing the new values back into the tfjs variables. Computation happens on the CPU side
 * (values are read with `dataSync`), which suits the cpu and wasm backends.
 */
export abstract class DpOptimizer {
  /** The variables updated, in order. */
  readonly variables: readonly Variable[];
  /** Flat offset of each variable in the noise vector. */
  readonly offsets: readonly number[];
  /** Total number of parameters. */
  readonly parameterCount: number;
  /** The correlated-noise generator. */
  readonly noise: CorrelatedNoise;
  readonly #learningRate: LearningRate;
  #step = 0;

  /** Checks the options and builds the noise generator. */
  constructor(options: DpOptimizerOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    this.variables = checkVariables(options.variables);
    validateLearningRate(options.learningRate);
    this.#learningRate = options.learningRate;
    const offsets: number[] = [];
    let total = 0;
    for (const variable of this.variables) {
      offsets.push(total);
      total += variable.size;
    }
    this.offsets = offsets;
    this.parameterCount = total;
    if (options.noise === null || typeof options.noise !== 'object') {
      throw new TypeError('noise must be an object of NoiseOptions');
    }
    this.noise = new CorrelatedNoise({ ...options.noise, size: total });
  }

  /** Steps taken so far (the 0-based index of the next step). */
  get iterations(): number {
    return this.#step;
  }

  /** The learning rate the next step will use. */
  get currentLearningRate(): number {
    return learningRateAt(this.#learningRate, this.#step);
  }

  /**
   * One private step: adds this step's correlated noise to the clipped gradient sums, divides by
   * `normaliser` (the expected batch size under Poisson sampling, or the actual batch size) and updates
   * every variable.
   *
   * @param gradientSums - The clipped per-example gradient sum of every variable.
   * @param normaliser - Positive divisor of the noisy sums.
   * @param stepMaxGradNorm - The clipping norm these sums were clipped to, when it changes from step to step
   *   (adaptive clipping): the noise is scaled to it ({@link CorrelatedNoise.next}). Default: the noise's
   *   `maxGradNorm`.
   */
  step(gradientSums: GradientSums, normaliser: number, stepMaxGradNorm?: number): void {
    assertPositive('normaliser', normaliser);
    const learningRate = learningRateAt(this.#learningRate, this.#step);
    const sums = readGradientSums(this.variables, gradientSums);
    const params = this.variables.map((variable) => new Float32Array(variable.dataSync() as Float32Array));
    const noise = this.noise.next(stepMaxGradNorm);
    this.applyStep({ step: this.#step, learningRate, normaliser, noise, gradientSums: sums, params });
    this.variables.forEach((variable, i) => {
      const value = tensor(params[i] as Float32Array, variable.shape, 'float32');
      variable.assign(value);
      value.dispose();
    });
    this.#step += 1;
  }

  /** Applies the update rule to `context.params` (in place) and advances the optimizer's own state. */
  protected abstract applyStep(context: StepContext): void;

  /** Common part of the exported state. */
  protected exportBase(): DpOptimizerStateBase {
    return {
      step: this.#step,
      variableShapes: this.variables.map((v) => [...v.shape]),
      noise: this.noise.exportState(),
    };
  }

  /**
   * Checks a state, then restores it: `prepareOwn` checks and copies the subclass's part and returns the
   * function that installs it, so that a bad state leaves the optimizer untouched.
   */
  protected restoreBase(state: DpOptimizerStateBase, prepareOwn: () => () => void): void {
    if (state === null || typeof state !== 'object') throw new TypeError('state must be an optimizer state');
    const shapes = state.variableShapes;
    if (!Array.isArray(shapes) || shapes.length !== this.variables.length) {
      throw new RangeError(
        `state.variableShapes must list ${this.variables.length} variables, got ${String(shapes?.length)}`,
      );
    }
    this.variables.forEach((variable, i) => {
      const shape = shapes[i] as readonly number[];
      if (!Array.isArray(shape) || shape.join(',') !== variable.shape.join(',')) {
        throw new RangeError(
          `state.variableShapes[${i}] must be [${variable.shape.join(', ')}] ('${variable.name}'), got [${String(shape)}]`,
        );
      }
    });
    if (state.step !== state.noise?.step) {
      throw new RangeError(`state.step (${String(state.step)}) must equal state.noise.step`);
    }
    const commitOwn = prepareOwn();
    this.noise.restoreState(state.noise);
    commitOwn();
    this.#step = state.step;
  }

  /** Copies per-variable buffers of a state after checking their count, type and lengths. */
  protected copyBuffers(name: string, buffers: readonly Float32Array[] | undefined): Float32Array[] {
    if (!Array.isArray(buffers) || buffers.length !== this.variables.length) {
      throw new RangeError(`state.${name} must hold ${this.variables.length} buffers`);
    }
    return buffers.map((buffer, i) => {
      const size = (this.variables[i] as Variable).size;
      if (!(buffer instanceof Float32Array) || buffer.length !== size) {
        throw new RangeError(`state.${name}[${i}] must be a Float32Array of length ${size}`);
      }
      return new Float32Array(buffer);
    });
  }
}
