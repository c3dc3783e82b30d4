import type { NoiseStream, NoiseStreamState, Strategy } from '@cnm/core';
import { fillGaussian, type RandomGenerator, SeededRandom, type SeededRandomState } from '@cnm/sampler';
import { type NoiseRandomness, noiseGenerator } from './noise-randomness';

export type { NoiseRandomness } from './noise-randomness';

import { assertInRange, assertInteger, assertNonNegative, assertPositive } from './validate';

/** Configuration of a {@link CorrelatedNoise} generator. */
export interface CorrelatedNoiseOptions {
  /** The strategy matrix C of the factorisation; its inverse correlates the noise across steps. */
  readonly strategy: Strategy;
  /** Number of coordinates per step (all trainable parameters together). */
  readonly size: number;
  /** Noise multiplier sigma of the unit-sensitivity Gaussian mechanism, `>= 0`. */
  readonly noiseMultiplier: number;
  /** Per-example clipping norm (the paper's zeta), `> 0`. */
  readonly maxGradNorm: number;
  /**
   * Sensitivity of C under the participation pattern that training really has (the `sensitivity`
   * function of `@cnm/core`); `>= 1`, since every strategy has c_0 = 1.
   */
  readonly sensitivity: number;
  /** Source of the Gaussian draws. */
  readonly random: NoiseRandomness;
}

/**
 * Exact snapshot of a {@link CorrelatedNoise}. It holds past noise, which together with the model reveals
 * gradients: keep it as secret as the training data. Plain object of numbers and typed arrays (it survives
 * `structuredClone` and `v8.serialize`).
 */
export interface CorrelatedNoiseState {
  /** Name of the strategy (restoring into another strategy is refused). */
  readonly strategy: string;
  /**
   * The first coefficients of C: strategies of the same name with other parameters (two BLTs with the
   * same buffer count) differ here, and restoring across them is refused.
   */
  readonly strategyCoefficients: readonly number[];
  /** Coordinates per step. */
  readonly size: number;
  /** Standard deviation of the draws, `noiseMultiplier * maxGradNorm * sensitivity`. */
  readonly standardDeviation: number;
  /** Steps emitted so far. */
  readonly step: number;
  /** State of the stream of `(C^-1 z)_t` over all coordinates. */
  readonly stream: NoiseStreamState;
  /** State of the one-coordinate stream of the unit impulse that yields the coefficients of C^-1. */
  readonly impulse: NoiseStreamState;
  /** `sum_{k<step} d_k^2`, the squared norm of the last emitted row of C^-1. */
  readonly rowNormSquared: number;
  /** Generator state, or `null` for secure randomness (which cannot be exported). */
  readonly random: SeededRandomState | null;
}

/** Number of coefficients of C kept in the state to tell strategies apart. */
const FINGERPRINT_LENGTH = 32;

/**
 * Correlated Gaussian noise for a flat vector of parameters: at step t it emits
 * `s * (C^-1 z)_t` with `z_t ~ N(0, I)` i.i.d. and `s = noiseMultiplier * maxGradNorm * sensitivity`,
 * streaming C^-1 through the strategy's buffers (none for DP-SGD, `bufferCount` vectors for a BLT, a ring
 * of recent vectors for banded strategies). It also tracks the per-coordinate variance of each step's
 * noise, `s^2 * sum_j (C^-1)_{t,j}^2`, which {@link DpAdamBc} subtracts from its second moment.
 */
export class CorrelatedNoise {
  /** Coordinates per step. */
  readonly size: number;
  /** The strategy matrix C. */
  readonly strategy: Strategy;
  /** `noiseMultiplier * maxGradNorm * sensitivity`: the standard deviation of each draw `s z_t`. */
  readonly standardDeviation: number;
  /** Whether the draws come from secure randomness. */
  readonly secure: boolean;
  readonly #stream: NoiseStream;
  readonly #impulse: NoiseStream;
  #random: RandomGenerator;
  readonly #draws: Float64Array;
  readonly #output: Float64Array;
  readonly #impulseIn = new Float64Array(1);
  readonly #impulseOut = new Float64Array(1);
  readonly #fingerprint: readonly number[];
  readonly #maxGradNorm: number;
  #rowNormSquared = 0;
  #lastScale = 1;

  /** Builds the generator; throws a `RangeError`/`TypeError` naming any bad option. */
  constructor(options: CorrelatedNoiseOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options must be an object of CorrelatedNoiseOptions');
    }
    const { strategy, size, noiseMultiplier, maxGradNorm, sensitivity, random } = options;
    if (
      strategy === null ||
      typeof strategy !== 'object' ||
      typeof strategy.createInverseStream !== 'function'
    ) {
      throw new TypeError('strategy must be a Strategy of @cnm/core (with createInverseStream)');
    }
    assertInteger('size', size, 1);
    assertNonNegative('noiseMultiplier', noiseMultiplier);
    assertPositive('maxGradNorm', maxGradNorm);
    // c_0 = 1 makes the first column's norm, hence the sensitivity, at least 1: a smaller value means the
    // sensitivity was computed for another matrix and the privacy guarantee would not hold.
    assertInRange('sensitivity', sensitivity, { min: 1, max: Number.POSITIVE_INFINITY, maxExclusive: true });
    this.strategy = strategy;
    this.size = size;
    this.standardDeviation = noiseMultiplier * maxGradNorm * sensitivity;
    this.#maxGradNorm = maxGradNorm;
    this.#random = noiseGenerator('random', random);
    this.secure = this.#random.isSecure;
    this.#fingerprint = Array.from(strategy.coefficients(FINGERPRINT_LENGTH));
    this.#stream = strategy.createInverseStream(size);
    this.#impulse = strategy.createInverseStream(1);
    this.#draws = new Float64Array(size);
    this.#output = new Float64Array(size);
  }

  /** Steps emitted so far (the 0-based index of the next step). */
  get step(): number {
    return this.#stream.step;
  }

  /**
   * Per-coordinate variance of the noise emitted by the last {@link CorrelatedNoise.next} call,
   * `standardDeviation^2 * sum_j (C^-1)_{t,j}^2`; 0 before the first step.
   */
  get lastVariance(): number {
    return (this.standardDeviation * this.#lastScale) ** 2 * this.#rowNormSquared;
  }

  /** The clipping norm the noise is built for (the `maxGradNorm` option). */
  get maxGradNorm(): number {
    return this.#maxGradNorm;
  }

  /**
   * Squared norm of the row of C^-1 used by the last step, `sum_{k<=t} d_k^2` with d the coefficients
   * of C^-1 (1 for DP-SGD at every step); 0 before the first step.
   */
  get lastRowNormSquared(): number {
    return this.#rowNormSquared;
  }

  /**
   * Draws this step's Gaussian vector, streams it through C^-1 and returns the noise (length `size`).
   * The returned array is reused by the next call: copy it to keep it.
   *
   * @param stepMaxGradNorm - The clipping norm of this step's sums when it varies over the run (adaptive
   *   clipping), `> 0`; default the configured `maxGradNorm`. The noise becomes
   *   `noiseMultiplier * stepMaxGradNorm * sensitivity * (C^-1 z)_t`: the output, not the draws, is rescaled,
   *   which is the mechanism on the normalised sums `x_t / stepMaxGradNorm` (per-example contribution at most 1)
   *   multiplied back by `stepMaxGradNorm`. That is post-processing as long as the norm of step t depends only
   *   on what was released before step t (adaptive continual release for lower-triangular C, Denisov et al. 2022).
   */
  next(stepMaxGradNorm?: number): Float64Array {
    let scale = 1;
    if (stepMaxGradNorm !== undefined) {
      assertPositive('stepMaxGradNorm', stepMaxGradNorm);
      if (!Number.isFinite(stepMaxGradNorm)) {
        throw new RangeError(`stepMaxGradNorm must be finite, got ${stepMaxGradNorm}`);
      }
      scale = stepMaxGradNorm / this.#maxGradNorm;
    }
    const sd = this.standardDeviation;
    if (sd > 0) {
      fillGaussian(this.#draws, sd, this.#random, { secure: this.secure });
    } else {
      this.#draws.fill(0);
    }
    this.#stream.next(this.#draws, this.#output);
    if (scale !== 1) for (let i = 0; i < this.#output.length; i++) this.#output[i]! *= scale;
    this.#lastScale = scale;
    // The impulse response of the same stream kind gives d_t, the next coefficient of C^-1.
    this.#impulseIn[0] = this.#impulse.step === 0 ? 1 : 0;
    this.#impulse.next(this.#impulseIn, this.#impulseOut);
    const coefficient = this.#impulseOut[0] as number;
    this.#rowNormSquared += coefficient * coefficient;
    return this.#output;
  }

  /** Exact copy of the state; see {@link CorrelatedNoiseState} on keeping it secret. */
  exportState(): CorrelatedNoiseState {
    return {
      strategy: this.strategy.name,
      strategyCoefficients: [...this.#fingerprint],
      size: this.size,
      standardDeviation: this.standardDeviation,
      step: this.step,
      stream: this.#stream.exportState(),
      impulse: this.#impulse.exportState(),
      rowNormSquared: this.#rowNormSquared,
      random: this.#random instanceof SeededRandom ? this.#random.exportState() : null,
    };
  }

  /**
   * Restores a state exported by a generator with the same strategy, size, standard deviation and kind
   * of randomness. With a seeded generator the continuation is bit-identical to the uninterrupted run;
   * in secure mode the buffers continue and fresh secure draws follow.
   */
  restoreState(state: CorrelatedNoiseState): void {
    if (state === null || typeof state !== 'object') {
      throw new TypeError('state must be a CorrelatedNoiseState');
    }
    if (state.strategy !== this.strategy.name) {
      throw new RangeError(`state.strategy must be '${this.strategy.name}', got '${String(state.strategy)}'`);
    }
    const coefficients = state.strategyCoefficients;
    if (
      !Array.isArray(coefficients) ||
      coefficients.length !== this.#fingerprint.length ||
      coefficients.some((c, i) => c !== this.#fingerprint[i])
    ) {
      throw new RangeError(
        `state.strategyCoefficients must be the first ${FINGERPRINT_LENGTH} coefficients of this strategy (a state of another '${this.strategy.name}')`,
      );
    }
    if (state.size !== this.size) {
      throw new RangeError(`state.size must be ${this.size}, got ${String(state.size)}`);
    }
    if (state.standardDeviation !== this.standardDeviation) {
      throw new RangeError(
        `state.standardDeviation must be ${this.standardDeviation} (noiseMultiplier * maxGradNorm * sensitivity), got ${String(state.standardDeviation)}`,
      );
    }
    assertInteger('state.step', state.step, 0);
    assertNonNegative('state.rowNormSquared', state.rowNormSquared);
    if (state.stream?.step !== state.step || state.impulse?.step !== state.step) {
      throw new RangeError(`state.stream.step and state.impulse.step must equal state.step = ${state.step}`);
    }
    if (this.secure !== (state.random === null)) {
      throw new RangeError(
        this.secure
          ? 'state.random must be null for a generator with secure randomness'
          : 'state.random must hold a SeededRandom state for a seeded generator',
      );
    }
    // Restore into temporaries first so a bad state leaves this generator untouched.
    const random = state.random === null ? this.#random : SeededRandom.fromState(state.random);
    const previousStream = this.#stream.exportState();
    this.#stream.restoreState(state.stream);
    try {
      this.#impulse.restoreState(state.impulse);
    } catch (error) {
      this.#stream.restoreState(previousStream);
      throw error;
    }
    this.#random = random;
    this.#rowNormSquared = state.rowNormSquared;
  }
}
