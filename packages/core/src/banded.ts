/**
 * Banded lower-triangular Toeplitz strategies (Choquette-Choo et al. 2023, arXiv 2306.08153): C[i][j] = c_{i-j}
 * for 0 ≤ i - j < bands and 0 below the band. Normalised so that ‖c‖₂ = 1, which is the largest column norm (the
 * last bands - 1 columns are shorter), i.e. the sensitivity of one participation and of cyclic participations at
 * least `bands` steps apart. C⁻¹ is not banded, but x = C⁻¹ z streams with the last bands - 1 outputs only:
 * x_t = (z_t - Σ_{i=1..bands-1} c_i x_{t-i}) / c_0.
 */
import {
  checkStreamSize,
  checkStreamState,
  type NoiseStream,
  type NoiseStreamState,
  prepareStreamIo,
} from './noise-stream';
import type { Strategy } from './strategies';
import { toeplitzInverse } from './toeplitz';
import { assertFiniteArray, assertInteger } from './validate';

/** A banded Toeplitz strategy: a {@link Strategy} that also exposes its band. */
export interface BandedStrategy extends Strategy {
  /** Number of bands b (non-zero diagonals of C). */
  readonly bands: number;
  /** The band c_0..c_{b-1}, normalised to ‖c‖₂ = 1 (a copy). */
  readonly band: Float64Array;
}

/**
 * The banded Toeplitz strategy with band `coefficients` = c_0..c_{b-1} (b = its length ≥ 1), rescaled to unit
 * norm (the scale of C does not change the mechanism once the noise is calibrated to its sensitivity). c_0 must be
 * positive. One band (c = [1]) is C = I, i.e. DP-SGD.
 */
export function bandedToeplitzStrategy(coefficients: ArrayLike<number>): BandedStrategy {
  assertFiniteArray('coefficients', coefficients, { minLength: 1 });
  if (!((coefficients[0] as number) > 0)) {
    throw new RangeError(`coefficients[0] must be positive, got ${String(coefficients[0])}`);
  }
  let norm = 0;
  for (let i = 0; i < coefficients.length; i++) norm = Math.hypot(norm, coefficients[i] as number);
  const band = Float64Array.from(coefficients, (c) => c / norm);
  const bands = band.length;
  const name = `banded-toeplitz(bands=${bands})`;
  return {
    name,
    bands,
    get band() {
      return band.slice();
    },
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
      return new BandedInverseStream(name, band, size);
    },
  };
}

function checkSteps(steps: number): void {
  assertInteger('steps', steps, 1);
}

/** x_t = (z_t - Σ_{i≥1} c_i x_{t-i}) / c_0 with a ring of the last bands - 1 outputs (float64). */
class BandedInverseStream implements NoiseStream {
  readonly size: number;
  readonly #name: string;
  readonly #band: Float64Array;
  #step = 0;
  /** The last min(step, bands - 1) outputs, most recent last. */
  #history: Float64Array[] = [];

  constructor(name: string, band: Float64Array, size: number) {
    checkStreamSize(size);
    this.size = size;
    this.#name = name;
    this.#band = band;
  }

  get step(): number {
    return this.#step;
  }

  #stored(step: number): number {
    return Math.min(step, this.#band.length - 1);
  }

  next(z: Float64Array | Float32Array, out?: Float64Array | Float32Array): Float64Array | Float32Array {
    const target = prepareStreamIo(this.size, z, out);
    const band = this.#band;
    const history = this.#history;
    const h = history.length;
    const c0 = band[0] as number;
    const fresh = new Float64Array(this.size);
    for (let k = 0; k < this.size; k++) {
      let acc = z[k] as number;
      for (let i = 1; i <= h; i++)
        acc -= (band[i] as number) * ((history[h - i] as Float64Array)[k] as number);
      const x = acc / c0;
      fresh[k] = x;
      target[k] = x;
    }
    if (band.length > 1) {
      history.push(fresh);
      if (history.length > band.length - 1) history.shift();
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
  }
}
