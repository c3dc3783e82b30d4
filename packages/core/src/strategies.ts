/**
 * Strategy matrices C of the factorisation A = B C behind one interface. A strategy knows the Toeplitz
 * coefficients of C and of C⁻¹ and can stream (C⁻¹ z)_t, the correlated noise added at step t.
 */
import type { Blt } from './blt';
import {
  checkStreamSize,
  checkStreamState,
  type NoiseStream,
  type NoiseStreamState,
  prepareStreamIo,
} from './noise-stream';
import { toeplitzInverse } from './toeplitz';
import { assertInRange, assertInteger } from './validate';

/** A lower-triangular Toeplitz strategy matrix C with c_0 = 1. */
export interface Strategy {
  /** Human-readable name with its parameters, e.g. `banded-square-root(bands=4)`. */
  readonly name: string;
  /** Coefficients c_0..c_{steps-1} of C. */
  coefficients(steps: number): Float64Array;
  /** Coefficients of C⁻¹ for `steps` steps. */
  inverseCoefficients(steps: number): Float64Array;
  /** A stream of (C⁻¹ z)_t over vectors of length `size`. */
  createInverseStream(size: number, options?: InverseStreamOptions): NoiseStream;
}

/** Options of {@link Strategy.createInverseStream}. */
export interface InverseStreamOptions {
  /**
   * Strategies that need the whole history (the square root) refuse to run once `step · size` stored
   * numbers would exceed this limit. Default 2^24 (128 MiB of float64).
   */
  readonly maxHistoryEntries?: number;
}

function checkSteps(steps: number): void {
  assertInteger('steps', steps, 1);
}

/** Square-root coefficients binom(2j, j)/4^j = 1, 1/2, 3/8, 5/16, … (c_j = c_{j-1} (2j-1)/(2j)). */
export function squareRootCoefficients(steps: number): Float64Array {
  checkSteps(steps);
  const out = new Float64Array(steps);
  out[0] = 1;
  for (let j = 1; j < steps; j++) out[j] = ((out[j - 1] as number) * (2 * j - 1)) / (2 * j);
  return out;
}

/** Coefficients of the inverse square root, those of (1 - x)^(1/2): 1, -1/2, -1/8, -1/16, -5/128, … */
export function squareRootInverseCoefficients(steps: number): Float64Array {
  checkSteps(steps);
  const out = new Float64Array(steps);
  out[0] = 1;
  if (steps > 1) out[1] = -0.5;
  for (let j = 2; j < steps; j++) out[j] = ((out[j - 1] as number) * (2 * j - 3)) / (2 * j);
  return out;
}

/** C = I: DP-SGD. Its stream passes z through and keeps no state. */
export function identityStrategy(): Strategy {
  return {
    name: 'identity',
    coefficients(steps) {
      checkSteps(steps);
      const out = new Float64Array(steps);
      out[0] = 1;
      return out;
    },
    inverseCoefficients(steps) {
      checkSteps(steps);
      const out = new Float64Array(steps);
      out[0] = 1;
      return out;
    },
    createInverseStream(size) {
      return new HistoryStream('identity', new Float64Array([1]), size, 'outputs', 0);
    },
  };
}

/**
 * The single-parameter mechanism noise_t = z_t - γ z_{t-1}: C⁻¹ = LTToep(1, -γ), C has c_j = γ^j
 * (the BLT with θ = ω = γ). `gamma` in [0, 1).
 */
export function singleParameterStrategy(gamma: number): Strategy {
  assertInRange('gamma', gamma, { min: 0, max: 1, maxExclusive: true });
  const name = `single-parameter(gamma=${gamma})`;
  return {
    name,
    coefficients(steps) {
      checkSteps(steps);
      const out = new Float64Array(steps);
      let power = 1;
      for (let j = 0; j < steps; j++) {
        out[j] = power;
        power *= gamma;
      }
      return out;
    },
    inverseCoefficients(steps) {
      checkSteps(steps);
      const out = new Float64Array(steps);
      out[0] = 1;
      if (steps > 1) out[1] = -gamma;
      return out;
    },
    createInverseStream(size) {
      // C⁻¹ is banded: a ring of the last draw suffices.
      return new HistoryStream(name, new Float64Array([1, -gamma]), size, 'inputs', 1);
    },
  };
}

/**
 * The square-root factorisation C = A^(1/2) (Fichtenberger et al. 2023): c_j = binom(2j, j)/4^j, optimal
 * among Toeplitz strategies for single-participation max error up to lower-order terms. C⁻¹ is dense, so its
 * stream must keep every past draw (O(step · size) memory, O(step · size) work per step): it is offered for
 * small runs only and refuses to grow past `maxHistoryEntries`. Use a BLT or the banded square root to
 * stream at scale.
 */
export function squareRootStrategy(): Strategy {
  return {
    name: 'square-root',
    coefficients: squareRootCoefficients,
    inverseCoefficients: squareRootInverseCoefficients,
    createInverseStream(size, options) {
      return new HistoryStream(
        'square-root',
        (steps) => squareRootInverseCoefficients(steps),
        size,
        'inputs',
        Number.POSITIVE_INFINITY,
        options?.maxHistoryEntries,
      );
    },
  };
}

/**
 * The banded square root (Kalinin & Lampert 2024, arXiv 2405.13763): the square-root coefficients kept for
 * j < bands and zero afterwards. C is banded, so x = C⁻¹ z streams with a ring buffer of the last
 * `bands - 1` outputs: x_t = z_t - Σ_{j=1..bands-1} c_j x_{t-j}.
 */
export function bandedSquareRootStrategy(bands: number): Strategy {
  assertInteger('bands', bands, 1);
  const name = `banded-square-root(bands=${bands})`;
  const band = squareRootCoefficients(bands);
  return {
    name,
    coefficients(steps) {
      checkSteps(steps);
      const out = new Float64Array(steps);
      out.set(band.subarray(0, Math.min(bands, steps)));
      return out;
    },
    inverseCoefficients(steps) {
      checkSteps(steps);
      return toeplitzInverse(band, steps);
    },
    createInverseStream(size) {
      return new HistoryStream(name, band, size, 'outputs', bands - 1);
    },
  };
}

/** The BLT strategy: C is the BLT, C⁻¹ streams with `blt.bufferCount` buffers. */
export function bltStrategy(blt: Blt): Strategy {
  const name = `blt(buffers=${blt.bufferCount})`;
  return {
    name,
    coefficients: (steps) => blt.coefficients(steps),
    inverseCoefficients(steps) {
      checkSteps(steps);
      // Streaming the unit impulse through C⁻¹ yields its coefficients in O(steps · d).
      const stream = blt.createInverseStream(1);
      const out = new Float64Array(steps);
      const z = new Float64Array(1);
      const x = new Float64Array(1);
      for (let t = 0; t < steps; t++) {
        z[0] = t === 0 ? 1 : 0;
        stream.next(z, x);
        out[t] = x[0] as number;
      }
      return out;
    },
    createInverseStream: (size) => blt.createInverseStream(size),
  };
}

/**
 * A stream that keeps a ring of recent vectors and applies a (possibly growing) Toeplitz filter.
 * Mode 'inputs': x_t = Σ_j f_j z_{t-j} over stored draws (f = coefficients of C⁻¹).
 * Mode 'outputs': x_t = z_t - Σ_{j≥1} c_j x_{t-j} over stored outputs (c = coefficients of C, c_0 = 1).
 */
class HistoryStream implements NoiseStream {
  readonly size: number;
  #step = 0;
  readonly #name: string;
  readonly #mode: 'inputs' | 'outputs';
  readonly #memory: number;
  readonly #maxEntries: number;
  #filter: Float64Array;
  readonly #filterFor: ((steps: number) => Float64Array) | undefined;
  /** Most recent vector last. */
  #history: Float64Array[] = [];

  constructor(
    name: string,
    filter: Float64Array | ((steps: number) => Float64Array),
    size: number,
    mode: 'inputs' | 'outputs',
    memory: number,
    maxEntries?: number,
  ) {
    checkStreamSize(size);
    if (maxEntries !== undefined) assertInteger('maxHistoryEntries', maxEntries, 1);
    this.size = size;
    this.#name = name;
    this.#mode = mode;
    this.#memory = memory;
    this.#maxEntries = maxEntries ?? 2 ** 24;
    this.#filterFor = typeof filter === 'function' ? filter : undefined;
    this.#filter = typeof filter === 'function' ? filter(1) : filter;
  }

  get step(): number {
    return this.#step;
  }

  #stored(step: number): number {
    return Math.min(step, this.#memory);
  }

  next(z: Float64Array | Float32Array, out?: Float64Array | Float32Array): Float64Array | Float32Array {
    const target = prepareStreamIo(this.size, z, out);
    const needed = this.#stored(this.#step + 1);
    if (!Number.isFinite(this.#memory) && (this.#step + 1) * this.size > this.#maxEntries) {
      throw new RangeError(
        `${this.#name} keeps the whole history: ${this.#step + 1} steps × size ${this.size} exceeds ` +
          `maxHistoryEntries = ${this.#maxEntries}; use a BLT or banded strategy for long runs`,
      );
    }
    if (this.#filterFor !== undefined && this.#filter.length < this.#step + 1) {
      this.#filter = this.#filterFor(Math.max(2 * this.#filter.length, this.#step + 1));
    }
    const filter = this.#filter;
    const history = this.#history;
    const h = history.length;
    const fresh = new Float64Array(this.size);
    for (let k = 0; k < this.size; k++) {
      const zk = z[k] as number;
      let acc: number;
      if (this.#mode === 'inputs') {
        acc = (filter[0] as number) * zk;
        for (let j = 1; j <= h && j < filter.length; j++) {
          acc += (filter[j] as number) * ((history[h - j] as Float64Array)[k] as number);
        }
        fresh[k] = zk;
      } else {
        acc = zk;
        for (let j = 1; j <= h && j < filter.length; j++) {
          acc -= (filter[j] as number) * ((history[h - j] as Float64Array)[k] as number);
        }
        fresh[k] = acc;
      }
      target[k] = acc;
    }
    if (needed > 0) {
      history.push(fresh);
      if (history.length > needed) history.shift();
    }
    this.#step++;
    return target;
  }

  exportState(): NoiseStreamState {
    return {
      strategy: this.#name,
      size: this.size,
      step: this.#step,
      buffers: this.#history.map((b) => b.slice()),
    };
  }

  restoreState(state: NoiseStreamState): void {
    checkStreamState(state, this.#name, this.size, (step) => this.#stored(step));
    this.#history = state.buffers.map((b) => b.slice());
    this.#step = state.step;
    if (this.#filterFor !== undefined && this.#filter.length < this.#step + 1) {
      this.#filter = this.#filterFor(this.#step + 1);
    }
  }
}
