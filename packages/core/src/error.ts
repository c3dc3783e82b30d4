/**
 * Error of the factorisation A = B C for unit-variance noise: B = A C⁻¹ and the step-t error is the squared
 * norm of row t of B (the variance, per coordinate, of the noise in the t-th released quantity).
 * The reported losses (lower is better) multiply in the sensitivity: sens · √(max error) and sens · RMSE.
 */
import type { Participation } from './participation';
import { sensitivity } from './sensitivity';
import type { Strategy } from './strategies';
import { prefixSums } from './toeplitz';
import { assertFiniteArray, assertInRange, assertInteger } from './validate';

/** Per-step and summary errors of a workload under unit noise. */
export interface ErrorSummary {
  /** err_t = Σ_j B[t][j]² for every step t. */
  readonly perStepError: Float64Array;
  /** max_t err_t (for the prefix-sum workload the last step's error). */
  readonly maxError: number;
  /** (1/n) Σ_t err_t. */
  readonly meanError: number;
}

/**
 * The workload A applied by training. Default: the prefix sums of SGD (A = lower-triangular ones).
 * `momentum` μ in [0, 1) gives heavy-ball momentum (A[T][t] = (1 - μ^(T-t+1))/(1 - μ)); `learningRates`
 * η_s (one per step) scales step s's update: A[T][t] = Σ_{s=t..T} η_s μ^(s-t), no longer Toeplitz.
 */
export interface Workload {
  /** Heavy-ball momentum μ in [0, 1); default 0. */
  readonly momentum?: number;
  /** Learning rate of each step (length = steps, finite); default all ones. */
  readonly learningRates?: ArrayLike<number>;
}

/**
 * Error of the prefix-sum workload: B = A C⁻¹ is Toeplitz with coefficients the cumulative sums b of the
 * coefficients of C⁻¹; err_t = Σ_{j≤t} b_j², max error = err_{n-1}, mean error = Σ_j ((n-j)/n) b_j².
 */
export function prefixSumError(inverseCoefficients: ArrayLike<number>): ErrorSummary {
  assertFiniteArray('inverseCoefficients', inverseCoefficients, { minLength: 1 });
  return toeplitzRowErrors(prefixSums(inverseCoefficients));
}

function toeplitzRowErrors(b: Float64Array): ErrorSummary {
  const n = b.length;
  const perStepError = new Float64Array(n);
  let running = 0;
  let total = 0;
  for (let t = 0; t < n; t++) {
    running += (b[t] as number) ** 2;
    perStepError[t] = running;
    total += running;
  }
  return { perStepError, maxError: running, meanError: total / n };
}

/**
 * Error of a general workload (momentum, learning-rate schedule) given the coefficients of C⁻¹: O(n) for
 * momentum alone (B stays Toeplitz), O(n²) with a learning-rate schedule.
 */
export function workloadError(inverseCoefficients: ArrayLike<number>, workload: Workload = {}): ErrorSummary {
  assertFiniteArray('inverseCoefficients', inverseCoefficients, { minLength: 1 });
  const n = inverseCoefficients.length;
  const momentum = workload.momentum ?? 0;
  assertInRange('momentum', momentum, { min: 0, max: 1, maxExclusive: true });
  // h = (μ^k)_k * d, the momentum buffer's response to the noise, by the recursion h_t = μ h_{t-1} + d_t.
  const h = new Float64Array(n);
  let previous = 0;
  for (let t = 0; t < n; t++) {
    previous = momentum * previous + (inverseCoefficients[t] as number);
    h[t] = previous;
  }
  if (workload.learningRates === undefined) return toeplitzRowErrors(prefixSums(h));
  const rates = workload.learningRates;
  assertFiniteArray('learningRates', rates);
  if (rates.length !== n) {
    throw new RangeError(`learningRates must have one entry per step (${n}), got ${rates.length}`);
  }
  // Row T of B: B[T][j] = Σ_{s=j..T} η_s h_{s-j}, built incrementally.
  const row = new Float64Array(n);
  const perStepError = new Float64Array(n);
  let maxError = 0;
  let total = 0;
  for (let t = 0; t < n; t++) {
    const eta = rates[t] as number;
    let err = 0;
    for (let j = 0; j <= t; j++) {
      const value = (row[j] as number) + eta * (h[t - j] as number);
      row[j] = value;
      err += value * value;
    }
    perStepError[t] = err;
    maxError = Math.max(maxError, err);
    total += err;
  }
  return { perStepError, maxError, meanError: total / n };
}

/** Sensitivity, errors and the two reported losses of a strategy. */
export interface LossSummary {
  /** Sensitivity of C under the participation pattern (clip norm 1). */
  readonly sensitivity: number;
  /** max_t err_t under unit noise. */
  readonly maxError: number;
  /** mean_t err_t under unit noise. */
  readonly meanError: number;
  /** sens · √(max error) (the "MaxErr" loss). */
  readonly maxErrorLoss: number;
  /** sens · √(mean error) (the "RMSE" loss). */
  readonly rmseLoss: number;
}

/** Options of {@link strategyLoss}. */
export interface StrategyLossOptions {
  /** Number of training steps n (≥ 1). */
  readonly steps: number;
  /** The participation pattern the sensitivity must cover. */
  readonly participation: Participation;
  /** The workload; default prefix sums. */
  readonly workload?: Workload;
}

/**
 * Sensitivity, max/mean error and the losses sens·√(max error), sens·RMSE of a strategy, computed directly
 * from its coefficients: O(n) for the prefix-sum workload and for momentum, O(n²) with a learning-rate
 * schedule, plus the cost of the strategy's own coefficients.
 */
export function strategyLoss(strategy: Strategy, options: StrategyLossOptions): LossSummary {
  assertInteger('steps', options.steps, 1);
  const sens = sensitivity(strategy.coefficients(options.steps), options.participation);
  const inverse = strategy.inverseCoefficients(options.steps);
  const errors =
    options.workload === undefined ? prefixSumError(inverse) : workloadError(inverse, options.workload);
  return lossSummary(sens, errors.maxError, errors.meanError);
}

/** Assembles a {@link LossSummary} from a sensitivity and the two errors. */
export function lossSummary(sens: number, maxError: number, meanError: number): LossSummary {
  return {
    sensitivity: sens,
    maxError,
    meanError,
    maxErrorLoss: sens * Math.sqrt(maxError),
    rmseLoss: sens * Math.sqrt(meanError),
  };
}
