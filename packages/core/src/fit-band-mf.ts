/**
 * Fitting banded Toeplitz strategies (banded matrix factorisation, Choquette-Choo et al. 2023, arXiv 2306.08153;
 * McKenna 2024, arXiv 2405.15913): minimise ‖c‖² · error(A C⁻¹) over the band c_0..c_{b-1}, where A is the training
 * workload (prefix sums, optionally with momentum and a learning-rate schedule) and ‖c‖₂ the sensitivity (the
 * largest column norm). c_0 is fixed to 1 (the loss does not depend on the scale), so the free parameters are
 * c_1..c_{b-1}; the loss is minimised in log form by L-BFGS with exact adjoint gradients:
 *   forward  d = C⁻¹ e_0 (d_t = -(1/c_0) Σ_i c_i d_{t-i}), h = momentum filter of d, rows of B from h;
 *   backward d̄ from the error, λ = C⁻ᵀ d̄ (a back-substitution with the band), ∂E/∂c_i = -Σ_t λ_t d_{t-i}.
 */
import { type BandedStrategy, bandedToeplitzStrategy } from './banded';
import { workloadError } from './error';
import { minimizeLbfgs } from './lbfgs';
import { squareRootCoefficients } from './strategies';
import { assertFiniteArray, assertInRange, assertInteger } from './validate';

/** Options of {@link fitBandMf}. */
export interface FitBandMfOptions {
  /** Number of training steps n (integer ≥ 1). */
  readonly steps: number;
  /** Number of bands b of C (integer in [1, steps]). */
  readonly bands: number;
  /** `'rmse'`: minimise sens · √(mean error) (default); `'max'`: sens · √(max error). */
  readonly error?: 'rmse' | 'max';
  /** Heavy-ball momentum μ in [0, 1) of the workload; default 0 (plain prefix sums). */
  readonly momentum?: number;
  /** Learning rate of each step (length `steps`, finite, e.g. a decay schedule); default all ones. */
  readonly learningRates?: ArrayLike<number>;
  /** L-BFGS iteration limit per start (integer ≥ 1, default 2000). */
  readonly maxIterations?: number;
}

/** Result of {@link fitBandMf}. */
export interface FitBandMfResult {
  /** The band c_0..c_{b-1} of the fitted C, with ‖c‖₂ = 1 (the sensitivity of C). */
  readonly coefficients: Float64Array;
  /** The strategy built from `coefficients` (streams C⁻¹ z with O(bands) state). */
  readonly strategy: BandedStrategy;
  /** sens · √error with sens = 1: the RMSE or the max error root of the workload under unit noise. */
  readonly loss: number;
  /** The mean or max error (per `errorKind`) of the workload under unit noise. */
  readonly error: number;
  /** Which error `loss` and `error` refer to. */
  readonly errorKind: 'rmse' | 'max';
  /** Number of bands b. */
  readonly bands: number;
  /** Total L-BFGS iterations over all starts. */
  readonly iterations: number;
  /** True when the optimiser stopped at a stationary point (gradient of the log-loss below 1e-6). */
  readonly converged: boolean;
}

/** The workload and error of a fit, validated. */
interface BandProblem {
  readonly steps: number;
  readonly bands: number;
  readonly kind: 'rmse' | 'max';
  readonly momentum: number;
  readonly learningRates: Float64Array | undefined;
}

/**
 * Error E of the workload for C⁻¹ coefficients `d`; writes ∂E/∂d into `gradient` when given. With a learning-rate
 * schedule the rows of B = A C⁻¹ are built one at a time (O(n²)); the adjoint walks them back by subtraction.
 */
function workloadErrorWithGradient(problem: BandProblem, d: Float64Array, gradient?: Float64Array): number {
  const n = d.length;
  const mu = problem.momentum;
  const h = new Float64Array(n);
  let previous = 0;
  for (let t = 0; t < n; t++) {
    previous = mu * previous + (d[t] as number);
    h[t] = previous;
  }
  const hBar = new Float64Array(n);
  let value = 0;
  const rates = problem.learningRates;
  if (rates === undefined) {
    // B is Toeplitz with coefficients the prefix sums of h: err = Σ_j w_j b_j², w_j = 1 (max) or (n - j)/n.
    let b = 0;
    const bs = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      b += h[j] as number;
      bs[j] = b;
      value += (problem.kind === 'max' ? 1 : (n - j) / n) * b * b;
    }
    if (gradient !== undefined) {
      let suffix = 0;
      for (let j = n - 1; j >= 0; j--) {
        suffix += 2 * (problem.kind === 'max' ? 1 : (n - j) / n) * (bs[j] as number);
        hBar[j] = suffix;
      }
    }
  } else {
    // Row T of B: B[T][j] = B[T-1][j] + η_T h_{T-j}.
    const row = new Float64Array(n);
    const rowErrors = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const eta = rates[t] as number;
      let err = 0;
      for (let j = 0; j <= t; j++) {
        const v = (row[j] as number) + eta * (h[t - j] as number);
        row[j] = v;
        err += v * v;
      }
      rowErrors[t] = err;
    }
    let argmax = 0;
    for (let t = 0; t < n; t++) {
      if (problem.kind === 'max') {
        if ((rowErrors[t] as number) > (rowErrors[argmax] as number)) argmax = t;
      } else value += (rowErrors[t] as number) / n;
    }
    if (problem.kind === 'max') value = rowErrors[argmax] as number;
    if (gradient !== undefined) {
      // Walk the rows back from the last one that carries weight, undoing each update to recover the row before.
      const last = problem.kind === 'max' ? argmax : n - 1;
      for (let t = n - 1; t > last; t--) {
        const eta = rates[t] as number;
        for (let j = 0; j <= t; j++) row[j] = (row[j] as number) - eta * (h[t - j] as number);
      }
      const rowBar = new Float64Array(n);
      for (let t = last; t >= 0; t--) {
        const weight = problem.kind === 'max' ? (t === argmax ? 1 : 0) : 1 / n;
        const eta = rates[t] as number;
        for (let j = 0; j <= t; j++) {
          const adj = (rowBar[j] as number) + 2 * weight * (row[j] as number);
          rowBar[j] = adj;
          hBar[t - j] = (hBar[t - j] as number) + eta * adj;
          row[j] = (row[j] as number) - eta * (h[t - j] as number);
        }
      }
    }
  }
  if (gradient !== undefined) {
    // h_t = μ h_{t-1} + d_t  ⇒  d̄_t = h̄_t + μ d̄_{t+1}.
    let next = 0;
    for (let t = n - 1; t >= 0; t--) {
      next = (hBar[t] as number) + mu * next;
      gradient[t] = next;
    }
  }
  return value;
}

/** Coefficients of C⁻¹ for the band `c` over n steps (d_t = -(1/c_0) Σ_{i≥1} c_i d_{t-i}). */
function inverseOfBand(c: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const c0 = c[0] as number;
  d[0] = 1 / c0;
  for (let t = 1; t < n; t++) {
    let acc = 0;
    for (let i = 1; i < c.length && i <= t; i++) acc += (c[i] as number) * (d[t - i] as number);
    d[t] = -acc / c0;
  }
  return d;
}

/** log(‖c‖²) + log E at c = (1, x); writes the gradient with respect to x. +∞ when C⁻¹ overflows. */
function bandObjective(problem: BandProblem, x: Float64Array, gradient: Float64Array | undefined): number {
  const bands = problem.bands;
  const n = problem.steps;
  const c = new Float64Array(bands);
  c[0] = 1;
  c.set(x, 1);
  let norm2 = 0;
  for (const v of c) norm2 += v * v;
  const d = inverseOfBand(c, n);
  const dBar = gradient === undefined ? undefined : new Float64Array(n);
  const err = workloadErrorWithGradient(problem, d, dBar);
  if (!(err > 0) || !Number.isFinite(err) || !Number.isFinite(norm2)) return Number.POSITIVE_INFINITY;
  if (gradient !== undefined && dBar !== undefined) {
    // λ = C⁻ᵀ d̄: back-substitution, λ_t = (d̄_t - Σ_{i≥1} c_i λ_{t+i}) / c_0 (c_0 = 1).
    const lambda = new Float64Array(n);
    for (let t = n - 1; t >= 0; t--) {
      let acc = dBar[t] as number;
      for (let i = 1; i < bands && t + i < n; i++) acc -= (c[i] as number) * (lambda[t + i] as number);
      lambda[t] = acc;
    }
    for (let i = 1; i < bands; i++) {
      let dot = 0;
      for (let t = i; t < n; t++) dot += (lambda[t] as number) * (d[t - i] as number);
      const g = (2 * (c[i] as number)) / norm2 - dot / err;
      if (!Number.isFinite(g)) return Number.POSITIVE_INFINITY;
      gradient[i - 1] = g;
    }
  }
  return Math.log(norm2) + Math.log(err);
}

/**
 * Fits the b-banded lower-triangular Toeplitz strategy C (unit column norm) that minimises the workload error
 * sens · √(mean error) (`error: 'rmse'`, the default) or sens · √(max error) of B = A C⁻¹ for `steps` steps, A the
 * prefix sums of SGD, with heavy-ball `momentum` and per-step `learningRates` when given. Used by amplified banded
 * MF, where an example participates at most once in any `bands` consecutive steps, so the sensitivity is ‖c‖₂ = 1.
 * L-BFGS in float64 with exact gradients, from the truncated square root and from C = I; keeps the best.
 * One band gives C = I (DP-SGD).
 */
export function fitBandMf(options: FitBandMfOptions): FitBandMfResult {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { steps, bands } = options;
  assertInteger('steps', steps, 1);
  assertInteger('bands', bands, 1, steps);
  const errorKind = options.error ?? 'rmse';
  if (errorKind !== 'max' && errorKind !== 'rmse') {
    throw new RangeError(`error must be 'rmse' or 'max', got '${String(errorKind)}'`);
  }
  const momentum = options.momentum ?? 0;
  assertInRange('momentum', momentum, { min: 0, max: 1, maxExclusive: true });
  let learningRates: Float64Array | undefined;
  if (options.learningRates !== undefined) {
    assertFiniteArray('learningRates', options.learningRates);
    if (options.learningRates.length !== steps) {
      throw new RangeError(
        `learningRates must have one entry per step (${steps}), got ${options.learningRates.length}`,
      );
    }
    learningRates = Float64Array.from(options.learningRates);
  }
  const maxIterations = options.maxIterations ?? 2000;
  assertInteger('maxIterations', maxIterations, 1);
  const problem: BandProblem = { steps, bands, kind: errorKind, momentum, learningRates };
  const objective = (x: Float64Array, g: Float64Array) => bandObjective(problem, x, g);
  const starts = [squareRootCoefficients(bands).subarray(1), new Float64Array(bands - 1)];
  let best: { x: Float64Array; value: number; converged: boolean } | undefined;
  let iterations = 0;
  if (bands > 1) {
    for (const start of starts) {
      if (!Number.isFinite(bandObjective(problem, start, undefined))) continue;
      const result = minimizeLbfgs(objective, start, { maxIterations, gradientTolerance: 1e-10 });
      iterations += result.iterations;
      const converged =
        result.reason === 'gradient' ||
        ((result.reason === 'stalled' || result.reason === 'line-search') && result.gradientNorm <= 1e-6);
      if (best === undefined || result.value < best.value)
        best = { x: result.x, value: result.value, converged };
    }
  }
  const x = best?.x ?? new Float64Array(0);
  const strategy = bandedToeplitzStrategy([1, ...x]);
  const coefficients = strategy.band;
  // Report the figures of the returned, normalised band (‖c‖ = 1, so loss = √error), evaluated independently.
  const summary = workloadError(strategy.inverseCoefficients(steps), {
    momentum,
    ...(learningRates === undefined ? {} : { learningRates }),
  });
  const error = errorKind === 'max' ? summary.maxError : summary.meanError;
  return {
    coefficients,
    strategy,
    loss: Math.sqrt(error),
    error,
    errorKind,
    bands,
    iterations,
    converged: best?.converged ?? true,
  };
}
