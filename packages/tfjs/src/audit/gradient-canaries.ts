/**
 * White-box gradient canaries (Steinke, Nasr & Jagielski 2023, §6): canary i is a virtual example whose gradient is
 * `norm · e_{j_i}`, one coordinate j_i of the model's parameters per canary (distinct, so the canaries do not
 * interfere). It occupies a slot of the sampler's data, so it takes part exactly when the run's sampler draws that
 * slot; when it is included its clipped gradient joins the clipped sum before the noise. The recorder keeps what
 * the adversary the accounting covers sees: every released noisy sum, at the canaries' coordinates.
 */
import type { CorrelatedNoise } from '@cnm/optim';
import type { RandomGenerator } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { StepHook } from './step-hook';

/** `count` distinct coordinates of `parameterCount`, drawn uniformly (a partial Fisher-Yates shuffle). */
export function canaryCoordinates(
  parameterCount: number,
  count: number,
  random: RandomGenerator,
): Int32Array {
  if (count > parameterCount) {
    throw new RangeError(
      `canaries must be at most the model's trainable parameters (${parameterCount}) for gradient canaries, got ${count}`,
    );
  }
  const pool = new Int32Array(parameterCount);
  for (let i = 0; i < parameterCount; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = random.nextInt(i, parameterCount);
    const swap = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = swap;
  }
  return pool.slice(0, count);
}

/** The private optimizer as the recorder reads it. */
export interface RecordedOptimizer {
  /** Trainable variables in the optimizer's order. */
  readonly variables: readonly tf.Variable[];
  /** Flat offset of each variable. */
  readonly offsets: readonly number[];
  /** The run's noise generator (its `next` is wrapped to observe each step's noise). */
  readonly noise: CorrelatedNoise;
}

/** Settings of a {@link GradientCanaryRecorder}. */
export interface GradientCanaryOptions {
  /** Real examples N: slots `N ... N + m − 1` of the sampler's data are the canaries. */
  readonly dataSize: number;
  /** Flat parameter coordinate of each canary. */
  readonly coordinates: Int32Array;
  /** Whether each canary is included (1) or not (0). */
  readonly included: Uint8Array;
  /** Norm of a canary's gradient before clipping. */
  readonly gradientNorm: number;
  /** The run's clipping norm ζ. */
  readonly clipNorm: number;
  /** Total steps of the run. */
  readonly steps: number;
  /**
   * Whether the canaries are clipped (always, except in the audit's own tests of a broken mechanism that does not
   * clip).
   */
  readonly clip: boolean;
  /** Rewrites each step's noise in place (only the audit's tests of broken mechanisms give one). */
  readonly noiseFault?: (noise: Float64Array) => void;
}

/**
 * The step hook of a gradient-canary audit: keeps the canary slots out of the model's batches, adds the included
 * canaries' clipped gradients to the sums, and records every step's batch and released noisy sums at the canaries'
 * coordinates.
 */
export class GradientCanaryRecorder implements StepHook {
  /** Every step's batch as the sampler drew it (canary slots included). */
  readonly batches: Int32Array[] = [];
  /** For each canary, the released noisy sums at its coordinate, step by step. */
  readonly released: Float64Array[];
  readonly #options: GradientCanaryOptions;
  readonly #optimizer: RecordedOptimizer;
  /** Each canary's variable and index inside it. */
  readonly #where: { variable: number; index: number }[];
  /** The sums (with canaries) at the canaries' coordinates, for the step whose noise comes next. */
  readonly #pending: Float64Array;
  readonly #contribution: number;
  #step = 0;

  /** Wraps the noise generator of `optimizer` to observe the released sums. */
  constructor(optimizer: RecordedOptimizer, options: GradientCanaryOptions) {
    this.#optimizer = optimizer;
    this.#options = options;
    const m = options.coordinates.length;
    this.released = Array.from({ length: m }, () => new Float64Array(options.steps));
    this.#pending = new Float64Array(m);
    const factor = options.clip ? Math.min(1, options.clipNorm / options.gradientNorm) : 1;
    this.#contribution = options.gradientNorm * factor;
    this.#where = Array.from(options.coordinates, (coordinate) => {
      let variable = optimizer.offsets.length - 1;
      while ((optimizer.offsets[variable] as number) > coordinate) variable--;
      return { variable, index: coordinate - (optimizer.offsets[variable] as number) };
    });
    const noise = optimizer.noise;
    const next = noise.next.bind(noise);
    noise.next = (stepMaxGradNorm?: number) => {
      const output = next(stepMaxGradNorm);
      options.noiseFault?.(output);
      this.#record(output);
      return output;
    };
  }

  /** Norm of an included canary's contribution to a sum (its clipped gradient). */
  get contributionNorm(): number {
    return this.#contribution;
  }

  realIndices(batch: Int32Array): Int32Array {
    this.batches.push(batch.slice());
    return batch.filter((slot) => slot < this.#options.dataSize);
  }

  withCanaries(batch: Int32Array, sums: tf.NamedTensorMap): tf.NamedTensorMap {
    const { dataSize, included } = this.#options;
    const values = this.#optimizer.variables.map((variable) => {
      const sum = sums[variable.name];
      if (sum === undefined) throw new Error(`internal: no clipped sum for '${variable.name}'`);
      return Float32Array.from(sum.dataSync() as Float32Array);
    });
    for (const slot of batch) {
      const i = slot - dataSize;
      if (i < 0 || included[i] !== 1) continue;
      const { variable, index } = this.#where[i] as { variable: number; index: number };
      const value = values[variable] as Float32Array;
      value[index] = (value[index] as number) + this.#contribution;
    }
    this.#where.forEach(({ variable, index }, i) => {
      this.#pending[i] = (values[variable] as Float32Array)[index] as number;
    });
    const out: tf.NamedTensorMap = {};
    this.#optimizer.variables.forEach((variable, v) => {
      out[variable.name] = tf.tensor(values[v] as Float32Array, variable.shape, 'float32');
    });
    return out;
  }

  /** Released sum = sum with canaries + this step's noise, at every canary's coordinate. */
  #record(noise: Float64Array): void {
    const t = this.#step++;
    if (t >= this.#options.steps) throw new Error('internal: more steps than the audit planned');
    this.#options.coordinates.forEach((coordinate, i) => {
      (this.released[i] as Float64Array)[t] = (this.#pending[i] as number) + (noise[coordinate] as number);
    });
    this.#pending.fill(0);
  }
}
