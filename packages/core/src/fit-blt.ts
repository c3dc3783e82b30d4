/**
 * Fitting BLTs (McMahan, Xu, Zhang 2024, arXiv 2408.08868, and the shared notes, section 8): minimise
 * sens(C)² · error(C⁻¹) over BLTs with d buffers, where C⁻¹ is again a BLT. The parameters are the pair of
 * decay complements (u, û) = (1 - θ, 1 - θ̂), optimised as log u and log û so that decays within 1e-10 of 1
 * stay representable; the output scales follow from the pair formulas. The objective is
 * log sens² + log error (scale-free) plus tiny log-barriers that keep 0 < θ, θ̂ < 1, ω > 0, ω̂ < 0 (which
 * forces interlaced, distinct decays) and Σω < 1 (so that c is non-negative and non-increasing and the
 * min-separation sensitivity closed form is exact). Both terms use the O(k_eff · d²) closed forms with exact
 * hand-derived gradients; L-BFGS with a strong-Wolfe line search minimises it.
 */
import { Blt, bltFromComplementPair } from './blt';
import { bltErrorTerms, bltSensitivitySquared } from './blt-loss';
import { bestSingleParameter, boundaryBlt, type Problem, smallestComplement } from './fit-blt-boundary';
import { minimizeLbfgs } from './lbfgs';
import { resolveParticipation } from './participation';
import { assertInteger } from './validate';

/** Progress report of {@link fitBlt}, sent after every optimiser iteration. */
export interface FitProgress {
  /** Number of buffers of the fit under way. */
  readonly bufferCount: number;
  /** Index of the start being optimised (0-based) for this buffer count. */
  readonly start: number;
  /** Iteration within this start. */
  readonly iteration: number;
  /** Current loss (sens · √error, times the negligible barrier factor) of this start. */
  readonly loss: number;
  /** Best loss found so far over all buffer counts and starts (and the boundary strategies). */
  readonly bestLoss: number;
}

/** Options of {@link fitBlt}. */
export interface FitBltOptions {
  /** Number of training steps n (integer ≥ 1). */
  readonly steps: number;
  /** Minimum separation b between participations (integer ≥ 1; default `steps`, i.e. single participation). */
  readonly minSeparation?: number;
  /** Maximum participations k per example (integer ≥ 1; default 1). */
  readonly maxParticipations?: number;
  /** `'max'`: minimise sens · √(max error); `'rmse'`: sens · √(mean error). Default `'max'`. */
  readonly error?: 'max' | 'rmse';
  /**
   * Number of buffers d (integer in [1, 16]), or `'auto'`: try d = 1, 2, … and keep adding buffers while
   * the loss improves by more than 1e-4 relative (at most `maxBufferCount`). Default `'auto'`.
   */
  readonly bufferCount?: number | 'auto';
  /** Upper limit of buffers for `'auto'` (integer in [1, 16], default 8). */
  readonly maxBufferCount?: number;
  /** Extra randomised restarts per buffer count beyond the deterministic starts (integer ≥ 0, default 1). */
  readonly restarts?: number;
  /** L-BFGS iteration limit per start (integer ≥ 1, default 1000). */
  readonly maxIterations?: number;
  /** Called after every optimiser iteration; return `false` to stop the fit early (it then reports not converged). */
  readonly onProgress?: (progress: FitProgress) => boolean | undefined;
}

/** Result of {@link fitBlt}. */
export interface FitBltResult {
  /**
   * The fitted strategy C. When a boundary strategy of the family beats every fitted BLT (see {@link fitBlt}), it
   * comes as a BLT with the same buffer count: the single-parameter strategy c_j = γ^j as θ = ω = γ, the other
   * buffers (all of them for C = I) inert, with output scale 0. Its inverse then has the decay 0 (or no buffer),
   * so `Blt.inverse()` throws; the inverse stream, the coefficients and the loss functions accept it.
   */
  readonly blt: Blt;
  /** sens · √(max error) or sens · √(mean error), per `error` (lower is better). */
  readonly loss: number;
  /** Sensitivity of C under the (b, k)-min-separation pattern (clip norm 1). */
  readonly sensitivity: number;
  /** The max error or the mean error of the prefix-sum workload (per `error`), unit noise. */
  readonly error: number;
  /** Which error `error` and `loss` refer to. */
  readonly errorKind: 'max' | 'rmse';
  /** Number of buffers d of `blt`. */
  readonly bufferCount: number;
  /** Total optimiser iterations over all starts and buffer counts. */
  readonly iterations: number;
  /**
   * True when the optimiser reached a stationary point (gradient of the log-loss below tolerance, or no
   * further decrease possible in float64 with a gradient below 1e-6) for the chosen buffer count (the one asked
   * for or settled on by `'auto'`; also when a boundary strategy was returned instead).
   */
  readonly converged: boolean;
  /** Loss of the best starting point for the chosen buffer count (the fit never ends above it). */
  readonly startLoss: number;
  /** Loss of the best fit for each buffer count tried (index d - 1), boundary strategies included. */
  readonly lossByBufferCount: number[];
}

const barrierWeight = 1e-9;
/** Relative loss improvement an extra buffer must bring for `bufferCount: 'auto'` to keep it. */
const autoImprovement = 1e-4;

/** Objective value and its parts at one point. */
export interface Evaluation {
  readonly value: number;
  readonly sensSquared: number;
  readonly error: number;
  readonly omega: Float64Array;
}

/**
 * The objective at x = [log u, log û]; writes the gradient when asked. Returns undefined when infeasible.
 */
export function fitObjective(
  problem: Problem,
  x: Float64Array,
  gradient: Float64Array | undefined,
): Evaluation | undefined {
  const d = x.length / 2;
  const u = new Float64Array(d);
  const uh = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    u[i] = Math.exp(x[i] as number);
    uh[i] = Math.exp(x[d + i] as number);
    if (!((u[i] as number) < 1 && (uh[i] as number) < 1)) return undefined;
    if (!((u[i] as number) > smallestComplement && (uh[i] as number) > smallestComplement)) return undefined;
  }
  // ω_i = Π_j (θ_i - θ̂_j) / Π_{j≠i} (θ_i - θ_j) with θ_i - θ̂_j = û_j - u_i (exact in the complements).
  const omega = new Float64Array(d);
  const omegaHat = new Float64Array(d);
  let omegaSum = 0;
  for (let i = 0; i < d; i++) {
    let w = 1;
    let wh = 1;
    for (let j = 0; j < d; j++) {
      w *= (uh[j] as number) - (u[i] as number);
      wh *= (u[j] as number) - (uh[i] as number);
      if (j !== i) {
        w /= (u[j] as number) - (u[i] as number);
        wh /= (uh[j] as number) - (uh[i] as number);
      }
    }
    if (!(w > 0 && wh < 0) || !Number.isFinite(w) || !Number.isFinite(wh)) return undefined;
    omega[i] = w;
    omegaHat[i] = wh;
    omegaSum += w;
  }
  if (!(omegaSum < 1)) return undefined;
  let logBeta = 0;
  for (let i = 0; i < d; i++) logBeta += Math.log(u[i] as number) - Math.log(uh[i] as number);
  const beta = Math.exp(logBeta);
  const gU = gradient === undefined ? undefined : new Float64Array(d);
  const gW = gradient === undefined ? undefined : new Float64Array(d);
  const gUh = gradient === undefined ? undefined : new Float64Array(d);
  const gWh = gradient === undefined ? undefined : new Float64Array(d);
  const sensSquared = bltSensitivitySquared(
    u,
    omega,
    problem.steps,
    problem.minSeparation,
    problem.participations,
    gU,
    gW,
  );
  const err = bltErrorTerms(uh, omegaHat, beta, problem.steps, problem.kind, gUh, gWh);
  if (!(sensSquared > 0 && err.value > 0) || !Number.isFinite(sensSquared) || !Number.isFinite(err.value)) {
    return undefined;
  }
  let barrier = Math.log(1 - omegaSum);
  for (let i = 0; i < d; i++) {
    barrier +=
      Math.log(omega[i] as number) +
      Math.log(-(omegaHat[i] as number)) +
      Math.log1p(-(u[i] as number)) +
      Math.log1p(-(uh[i] as number));
  }
  const value = Math.log(sensSquared) + Math.log(err.value) - barrierWeight * barrier;
  if (gradient !== undefined && gU && gW && gUh && gWh) {
    const du = new Float64Array(d);
    const duh = new Float64Array(d);
    const dw = new Float64Array(d);
    const dwh = new Float64Array(d);
    const dBeta = err.dBeta / err.value;
    for (let i = 0; i < d; i++) {
      dw[i] =
        (gW[i] as number) / sensSquared -
        barrierWeight / (omega[i] as number) +
        barrierWeight / (1 - omegaSum);
      dwh[i] = (gWh[i] as number) / err.value - barrierWeight / (omegaHat[i] as number);
      du[i] =
        (gU[i] as number) / sensSquared +
        (dBeta * beta) / (u[i] as number) +
        barrierWeight / (1 - (u[i] as number));
      duh[i] =
        (gUh[i] as number) / err.value -
        (dBeta * beta) / (uh[i] as number) +
        barrierWeight / (1 - (uh[i] as number));
    }
    // Chain rule through the pair formulas (derivatives of log|ω_i| and log|ω̂_i|).
    for (let i = 0; i < d; i++) {
      const ui = u[i] as number;
      const uhi = uh[i] as number;
      const cw = (dw[i] as number) * (omega[i] as number);
      const cwh = (dwh[i] as number) * (omegaHat[i] as number);
      for (let j = 0; j < d; j++) {
        const uj = u[j] as number;
        const uhj = uh[j] as number;
        // ω_i: + log(û_j - u_i) for all j, - log(u_j - u_i) for j ≠ i.
        duh[j] = (duh[j] as number) + cw / (uhj - ui);
        du[i] = (du[i] as number) - cw / (uhj - ui);
        // ω̂_i: + log(u_j - û_i) for all j, - log(û_j - û_i) for j ≠ i.
        du[j] = (du[j] as number) + cwh / (uj - uhi);
        duh[i] = (duh[i] as number) - cwh / (uj - uhi);
        if (j !== i) {
          du[j] = (du[j] as number) - cw / (uj - ui);
          du[i] = (du[i] as number) + cw / (uj - ui);
          duh[j] = (duh[j] as number) - cwh / (uhj - uhi);
          duh[i] = (duh[i] as number) + cwh / (uhj - uhi);
        }
      }
    }
    for (let i = 0; i < d; i++) {
      gradient[i] = (du[i] as number) * (u[i] as number);
      gradient[d + i] = (duh[i] as number) * (uh[i] as number);
    }
  }
  return { value, sensSquared, error: err.value, omega };
}

/**
 * Complements û of the inverse decays of the BLT with complements u and scales ω > 0: the roots s of
 * 1 + Σ_i ω_i/(u_i - s) = 0, one in each gap between sorted u and one in (u_max, 1) (requires Σ ω_i/θ_i < 1).
 */
function inverseComplements(u: Float64Array, omega: Float64Array): Float64Array | undefined {
  const d = u.length;
  const order = Array.from(u.keys()).sort((i, j) => (u[i] as number) - (u[j] as number));
  const su = Float64Array.from(order, (i) => u[i] as number);
  const sw = Float64Array.from(order, (i) => omega[i] as number);
  const g = (s: number) => {
    let acc = 1;
    for (let i = 0; i < d; i++) acc += (sw[i] as number) / ((su[i] as number) - s);
    return acc;
  };
  const roots = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let lo = su[k] as number;
    let hi = k + 1 < d ? (su[k + 1] as number) : 1;
    if (k + 1 === d && !(g(1) > 0)) return undefined;
    // g is -∞ just above lo and positive at hi.
    for (let iter = 0; iter < 2200; iter++) {
      const mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      if (g(mid) < 0) lo = mid;
      else hi = mid;
    }
    roots[k] = lo + (hi - lo) / 2;
  }
  return roots;
}

/**
 * A d-buffer BLT approximating the square-root factorisation for n steps: the generating function
 * (1 - x)^(-1/2) = (1/π) ∫₀¹ s^(-1/2) (1 - s)^(-1/2) / (1 - (1 - s) x) ds, discretised by the midpoint rule in
 * log s on [log(sMin), 0] (nodes s_i, weights w_i), gives c(x) ≈ Σ_i w_i/(1 - θ_i x), i.e. θ_i = 1 - s_i and
 * ω_i = w_i θ_i. The weights are scaled so that Σ w_i ≤ 0.95 (keeping the inverse decays positive). The
 * default sMin = 1/n puts the slowest buffer on the horizon of the run.
 */
export function squareRootBltApproximation(bufferCount: number, steps: number, sMin = 1 / steps): Blt {
  assertInteger('bufferCount', bufferCount, 1, 16);
  assertInteger('steps', steps, 1);
  if (!(sMin > 0 && sMin < 1)) throw new RangeError(`sMin must be a finite number in (0, 1), got ${sMin}`);
  const { u, omega } = squareRootStart(bufferCount, sMin);
  return new Blt(
    Array.from(u, (v) => 1 - v),
    omega,
  );
}

function squareRootStart(d: number, sMin: number): { u: Float64Array; omega: Float64Array } {
  const top = Math.log(sMin);
  const width = -top / d;
  const u = new Float64Array(d);
  const weights = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < d; i++) {
    const y = top + (i + 0.5) * width;
    const s = Math.exp(y);
    u[i] = s;
    weights[i] = (Math.sqrt(s) / Math.sqrt(1 - s) / Math.PI) * width;
    total += weights[i] as number;
  }
  const scale = Math.min(1, 0.95 / total);
  const omega = Float64Array.from(weights, (w, i) => w * scale * (1 - (u[i] as number)));
  return { u, omega };
}

function pairFromBlt(u: Float64Array, omega: Float64Array): Float64Array | undefined {
  const uh = inverseComplements(u, omega);
  if (uh === undefined) return undefined;
  const x = new Float64Array(2 * u.length);
  for (let i = 0; i < u.length; i++) {
    x[i] = Math.log(u[i] as number);
  }
  // The pair formulas only need the two sets of complements, in any order.
  for (let i = 0; i < u.length; i++) x[u.length + i] = Math.log(uh[i] as number);
  return x;
}

/** Deterministic generator for restart jitter (mulberry32); not used for anything privacy-relevant. */
function jitterSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FixedFit {
  readonly x: Float64Array;
  readonly evaluation: Evaluation;
  readonly iterations: number;
  readonly converged: boolean;
  readonly startValue: number;
  readonly cancelled: boolean;
}

/** Turns a pair x = [log u, log û] with d-1 buffers into d-buffer starts by adding a near-inert pair. */
function extendedStarts(previous: Float64Array): Float64Array[] {
  const d = previous.length / 2;
  const values = Array.from(previous, (v) => Math.exp(v)).sort((a, b) => a - b);
  const smallest = values[0] as number;
  const largest = values[values.length - 1] as number;
  const starts: Float64Array[] = [];
  // New slow buffer: u < û < smallest existing complement (a decay closer to 1).
  const slowU = smallest / 4;
  const slowUh = smallest / 3;
  // New fast buffer: largest < u < û < 1.
  const fastU = largest + (1 - largest) * 0.25;
  const fastUh = largest + (1 - largest) * 0.35;
  for (const [nu, nuh] of [
    [slowU, slowUh],
    [fastU, fastUh],
  ] as const) {
    const x = new Float64Array(2 * (d + 1));
    for (let i = 0; i < d; i++) {
      x[i] = previous[i] as number;
      x[d + 1 + i] = previous[d + i] as number;
    }
    x[d] = Math.log(nu);
    x[2 * d + 1] = Math.log(nuh);
    starts.push(x);
  }
  return starts;
}

function fitFixed(
  problem: Problem,
  d: number,
  previous: Float64Array | undefined,
  options: { restarts: number; maxIterations: number; onProgress: FitBltOptions['onProgress'] },
  bestSoFar: { loss: number },
): FixedFit | undefined {
  const starts: Float64Array[] = [];
  for (const sMin of [1 / problem.steps, 4 / problem.steps, 0.25 / problem.steps]) {
    if (!(sMin < 1)) continue;
    // Keep the slowest start buffer well inside the representable range (decays up to 1 - 1e-12).
    const { u, omega } = squareRootStart(d, Math.max(Math.min(sMin, 0.5), 1e-12));
    const x = pairFromBlt(u, omega);
    if (x !== undefined) starts.push(x);
  }
  if (previous !== undefined) starts.push(...extendedStarts(previous));
  const random = jitterSource(0x5eed + 7919 * d);
  let best: FixedFit | undefined;
  const objective = (x: Float64Array, gradient: Float64Array) =>
    fitObjective(problem, x, gradient)?.value ?? Number.POSITIVE_INFINITY;
  const total = starts.length + options.restarts;
  let bestStartValue = Number.POSITIVE_INFINITY;
  for (let index = 0; index < total; index++) {
    let start = starts[index];
    if (start === undefined) {
      if (best === undefined) break;
      // Randomised restart: jitter the best point's log-complements until feasible.
      const base = best.x;
      for (let attempt = 0; attempt < 20; attempt++) {
        const candidate = Float64Array.from(base, (v) => v + 0.5 * (random() - 0.5) * 2 ** -attempt);
        if (fitObjective(problem, candidate, undefined) !== undefined) {
          start = candidate;
          break;
        }
      }
      if (start === undefined) continue;
    }
    const startEval = fitObjective(problem, start, undefined);
    if (startEval === undefined) continue;
    bestStartValue = Math.min(bestStartValue, startEval.value);
    let cancelled = false;
    const result = minimizeLbfgs(objective, start, {
      maxIterations: options.maxIterations,
      gradientTolerance: 1e-8,
      onIteration: (iteration, value) => {
        if (options.onProgress === undefined) return true;
        const loss = Math.exp(value / 2);
        bestSoFar.loss = Math.min(bestSoFar.loss, loss);
        const keepGoing = options.onProgress({
          bufferCount: d,
          start: index,
          iteration,
          loss,
          bestLoss: bestSoFar.loss,
        });
        if (keepGoing === false) cancelled = true;
        return keepGoing !== false;
      },
    });
    const evaluation = fitObjective(problem, result.x, undefined);
    if (evaluation === undefined) continue;
    // Stationary, or stuck only where the log-loss is flat (a decay at the 1e-13 floor with n·(1 - θ) ≪ 1 is
    // effectively 1). A floor that still pulls (optimum beyond float64's reach) leaves a large gradient.
    const converged =
      result.reason === 'gradient' ||
      ((result.reason === 'stalled' || result.reason === 'line-search') && result.gradientNorm <= 1e-6);
    const fit: FixedFit = {
      x: result.x,
      evaluation,
      iterations: result.iterations + (best?.iterations ?? 0),
      converged,
      startValue: bestStartValue,
      cancelled,
    };
    if (best === undefined || evaluation.value < best.evaluation.value) {
      best = fit;
    } else {
      best = {
        ...best,
        iterations: fit.iterations,
        startValue: bestStartValue,
        cancelled: cancelled || best.cancelled,
      };
    }
    bestSoFar.loss = Math.min(bestSoFar.loss, Math.sqrt(evaluation.sensSquared * evaluation.error));
    if (cancelled) break;
  }
  return best;
}

/**
 * Fits a BLT strategy minimising sens · √(max error) (or sens · RMSE) for `steps` steps under
 * (minSeparation, maxParticipations)-min-separation participation (single participation: maxParticipations 1).
 * The fit starts from rational approximations of the square root (and, for d > 1, from the best
 * (d-1)-buffer fit with one near-inert buffer added), runs L-BFGS from each start plus `restarts` jittered
 * restarts, and keeps the best. The optimiser works on the open set 0 < θ̂ < θ < 1, ω > 0; its closure also holds
 * C = I and the single-parameter strategies c_j = γ^j (θ̂ = 0), where the optimum lies for some small problems
 * (e.g. n = 2 with both steps participating) and L-BFGS only stops near it. So the best of those, by an exact 1-D
 * minimisation over γ in [0, 1), is a candidate for every buffer count, and wins when strictly better (returned with
 * the buffer count asked for, the extra buffers inert). The returned
 * `converged` is false when the optimiser stopped on its iteration limit, was cancelled, or ended far from a
 * stationary point; the BLT is still the best feasible one found.
 */
export function fitBlt(options: FitBltOptions): FitBltResult {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { steps } = options;
  assertInteger('steps', steps, 1);
  const minSeparation = options.minSeparation ?? steps;
  assertInteger('minSeparation', minSeparation, 1);
  const maxParticipations = options.maxParticipations ?? 1;
  assertInteger('maxParticipations', maxParticipations, 1);
  const errorKind = options.error ?? 'max';
  if (errorKind !== 'max' && errorKind !== 'rmse') {
    throw new RangeError(`error must be 'max' or 'rmse', got '${String(errorKind)}'`);
  }
  const requested = options.bufferCount ?? 'auto';
  if (requested !== 'auto') assertInteger('bufferCount', requested, 1, 16);
  const maxBufferCount = options.maxBufferCount ?? 8;
  assertInteger('maxBufferCount', maxBufferCount, 1, 16);
  const restarts = options.restarts ?? 1;
  assertInteger('restarts', restarts, 0, 100);
  const maxIterations = options.maxIterations ?? 1000;
  assertInteger('maxIterations', maxIterations, 1);
  const resolved = resolveParticipation({ minSeparation, maxParticipations }, steps);
  const problem: Problem = {
    steps,
    minSeparation: resolved.minSeparation,
    participations: resolved.effectiveParticipations,
    kind: errorKind === 'max' ? 'max' : 'mean',
  };
  const fitOptions = { restarts, maxIterations, onProgress: options.onProgress };
  // The family's closure contains C = I and the single-parameter strategies (θ̂ → 0), where L-BFGS on the open set
  // only creeps up to the optimum; evaluated exactly, they are a floor under every buffer count.
  const boundary = bestSingleParameter(problem);
  const bestSoFar = { loss: boundary.loss };
  const lossByBufferCount: number[] = [];
  let iterations = 0;
  let previous: FixedFit | undefined;
  let chosen: FixedFit | undefined;
  let chosenCount = 0;
  let chosenLoss = Number.POSITIVE_INFINITY;
  const lastCount = requested === 'auto' ? maxBufferCount : requested;
  for (let d = 1; d <= lastCount; d++) {
    // A fixed count still warms up through smaller counts: their optima seed the larger fit.
    const fit = fitFixed(problem, d, previous?.x, fitOptions, bestSoFar);
    if (fit === undefined) throw new Error(`fitBlt found no feasible starting point for ${d} buffers`);
    iterations += fit.iterations;
    const loss = Math.min(lossOf(fit), boundary.loss);
    lossByBufferCount.push(loss);
    if (requested === 'auto') {
      // A fit costs 0.01-0.1 s, so keep adding buffers while they still help at all (the 1% rule of the
      // reference stopped at 1-2 buffers, 0.6-1.1% above the optimum).
      if (chosen !== undefined && !(loss < chosenLoss * (1 - autoImprovement))) break;
      chosen = fit;
      chosenCount = d;
      chosenLoss = loss;
    } else if (d === requested) {
      chosen = fit;
      chosenCount = d;
    }
    previous = fit;
    if (fit.cancelled) {
      if (chosen === undefined) {
        chosen = fit;
        chosenCount = d;
      }
      break;
    }
  }
  if (chosen === undefined) throw new Error('fitBlt produced no fit');
  const x = chosen.x;
  const u = Float64Array.from(x.subarray(0, chosenCount), (v) => Math.exp(v));
  const uHat = Float64Array.from(x.subarray(chosenCount), (v) => Math.exp(v));
  const blt = bltFromComplementPair(u, uHat);
  // Report the figures of the returned BLT itself: its decays are 1 - u rounded to float64.
  const exactU = Float64Array.from(blt.decays, (t) => 1 - t);
  const final = fitObjective(problem, Float64Array.from([...exactU, ...uHat], Math.log), undefined);
  if (final === undefined) throw new Error('fitBlt: rounding the decays to float64 left the feasible set');
  const finalLoss = Math.sqrt(final.sensSquared * final.error);
  // The edge of the family (C = I or single-parameter) is returned only where it is strictly better.
  const edge = boundary.loss < finalLoss;
  return {
    blt: edge ? boundaryBlt(boundary.gamma, chosenCount) : blt,
    loss: edge ? boundary.loss : finalLoss,
    sensitivity: Math.sqrt(edge ? boundary.sensSquared : final.sensSquared),
    error: edge ? boundary.error : final.error,
    errorKind,
    bufferCount: chosenCount,
    iterations,
    converged: chosen.converged && !chosen.cancelled,
    startLoss: Math.exp(chosen.startValue / 2),
    lossByBufferCount,
  };
}

function lossOf(fit: FixedFit): number {
  return Math.sqrt(fit.evaluation.sensSquared * fit.evaluation.error);
}
