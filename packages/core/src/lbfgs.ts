/**
 * Limited-memory BFGS in float64 with a strong-Wolfe line search (Nocedal & Wright, Numerical Optimization,
 * algorithms 7.4, 3.5 and 3.6). The objective may return +∞ for infeasible points: the line search then
 * shrinks the step, which keeps the iterates inside the barrier-protected region.
 */

/** Objective: returns f(x) and writes ∇f(x) into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Iteration limit (default 500). */
  readonly maxIterations?: number;
  /** Stop when the largest gradient entry is at most this (default 1e-9). */
  readonly gradientTolerance?: number;
  /** Stop when f improves by less than this relative amount over `stallWindow` iterations (default 1e-13). */
  readonly relativeTolerance?: number;
  /** Window of iterations for the stall test (default 10). */
  readonly stallWindow?: number;
  /** Number of stored correction pairs (default 12). */
  readonly memory?: number;
  /** Called after every iteration with the iteration number and the current value; return false to stop. */
  readonly onIteration?: (iteration: number, value: number) => boolean | undefined;
}

/** Outcome of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** Best point found. */
  readonly x: Float64Array;
  /** f at `x`. */
  readonly value: number;
  /** Largest absolute gradient entry at `x`. */
  readonly gradientNorm: number;
  /** Iterations performed. */
  readonly iterations: number;
  /** Objective evaluations performed. */
  readonly evaluations: number;
  /** Why it stopped. */
  readonly reason: 'gradient' | 'stalled' | 'line-search' | 'max-iterations' | 'cancelled';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function infNorm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i] as number));
  return s;
}

/** Minimises `objective` from `start` (which must give a finite value). */
export function minimizeLbfgs(
  objective: Objective,
  start: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-9;
  const rtol = options.relativeTolerance ?? 1e-13;
  const stallWindow = options.stallWindow ?? 10;
  const history: number[] = [];
  const memory = options.memory ?? 12;
  const n = start.length;
  let x: Float64Array = Float64Array.from(start);
  let g: Float64Array = new Float64Array(n);
  let evaluations = 1;
  let f = objective(x, g);
  if (!Number.isFinite(f)) throw new RangeError('the starting point of the minimisation is infeasible');
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const direction = new Float64Array(n);
  const alphaBuffer = new Float64Array(memory);
  let iteration = 0;
  let reason: LbfgsResult['reason'] = 'max-iterations';
  const trialX = new Float64Array(n);
  const trialG = new Float64Array(n);

  while (iteration < maxIterations) {
    if (infNorm(g) <= gtol) {
      reason = 'gradient';
      break;
    }
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
    const k = sList.length;
    for (let i = k - 1; i >= 0; i--) {
      const a = (rhoList[i] as number) * dot(sList[i] as Float64Array, direction);
      alphaBuffer[i] = a;
      const y = yList[i] as Float64Array;
      for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) - a * (y[j] as number);
    }
    if (k > 0) {
      const y = yList[k - 1] as Float64Array;
      const gamma = dot(sList[k - 1] as Float64Array, y) / dot(y, y);
      for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) * gamma;
    }
    for (let i = 0; i < k; i++) {
      const y = yList[i] as Float64Array;
      const s = sList[i] as Float64Array;
      const b = (rhoList[i] as number) * dot(y, direction);
      const a = alphaBuffer[i] as number;
      for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) + (a - b) * (s[j] as number);
    }
    let slope0 = dot(g, direction);
    if (!(slope0 < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
      slope0 = dot(g, direction);
    }
    const initialStep = k === 0 ? Math.min(1, 1 / Math.max(infNorm(g), 1e-300)) : 1;
    // Strong-Wolfe line search along `direction`.
    const c1 = 1e-4;
    const c2 = 0.9;
    const phi = (step: number): [number, number] => {
      for (let i = 0; i < n; i++) trialX[i] = (x[i] as number) + step * (direction[i] as number);
      evaluations++;
      const value = objective(trialX, trialG);
      return [value, Number.isFinite(value) ? dot(trialG, direction) : Number.NaN];
    };
    let accepted: { step: number; value: number; x: Float64Array; g: Float64Array } | undefined;
    const accept = (step: number, value: number) => {
      accepted = { step, value, x: Float64Array.from(trialX), g: Float64Array.from(trialG) };
    };
    // Best Armijo point seen, kept as a fallback when the Wolfe conditions cannot be met.
    let fallback: { step: number; value: number; x: Float64Array; g: Float64Array } | undefined;
    const remember = (step: number, value: number) => {
      if (value < f + c1 * step * slope0 && (fallback === undefined || value < fallback.value)) {
        fallback = { step, value, x: Float64Array.from(trialX), g: Float64Array.from(trialG) };
      }
    };
    const zoom = (lo0: number, hi0: number, fLo0: number, dLo0: number, fHi0: number, dHi0: number) => {
      let lo = lo0;
      let hi = hi0;
      let fLo = fLo0;
      let dLo = dLo0;
      let fHi = fHi0;
      let dHi = dHi0;
      for (let iter = 0; iter < 60; iter++) {
        let step: number;
        const width = hi - lo;
        if (Number.isFinite(fHi) && Number.isFinite(dHi)) {
          // Cubic interpolation between lo and hi, safeguarded to the middle 80% of the bracket.
          const d1 = dLo + dHi - (3 * (fLo - fHi)) / (lo - hi);
          const disc = d1 * d1 - dLo * dHi;
          if (disc >= 0) {
            const d2 = Math.sign(hi - lo) * Math.sqrt(disc);
            step = hi - (hi - lo) * ((dHi + d2 - d1) / (dHi - dLo + 2 * d2));
          } else step = lo + width / 2;
          const a = Math.min(lo, hi) + 0.1 * Math.abs(width);
          const b = Math.max(lo, hi) - 0.1 * Math.abs(width);
          if (!(step >= a && step <= b)) step = lo + width / 2;
        } else {
          step = lo + width / 4;
        }
        if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo))) return;
        const [value, slope] = phi(step);
        remember(step, value);
        if (!Number.isFinite(value) || value > f + c1 * step * slope0 || value >= fLo) {
          hi = step;
          fHi = value;
          dHi = slope;
        } else {
          if (Math.abs(slope) <= -c2 * slope0) {
            accept(step, value);
            return;
          }
          if (slope * (hi - lo) >= 0) {
            hi = lo;
            fHi = fLo;
            dHi = dLo;
          }
          lo = step;
          fLo = value;
          dLo = slope;
        }
      }
    };
    let previousStep = 0;
    let previousValue = f;
    let previousSlope = slope0;
    let step = initialStep;
    for (let iter = 0; iter < 40 && accepted === undefined; iter++) {
      const [value, slope] = phi(step);
      remember(step, value);
      if (!Number.isFinite(value) || value > f + c1 * step * slope0 || (iter > 0 && value >= previousValue)) {
        zoom(previousStep, step, previousValue, previousSlope, value, slope);
        break;
      }
      if (Math.abs(slope) <= -c2 * slope0) {
        accept(step, value);
        break;
      }
      if (slope >= 0) {
        zoom(step, previousStep, value, slope, previousValue, previousSlope);
        break;
      }
      previousStep = step;
      previousValue = value;
      previousSlope = slope;
      step *= 2;
    }
    const chosen = accepted ?? fallback;
    if (chosen === undefined) {
      reason = 'line-search';
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (chosen.x[i] as number) - (x[i] as number);
      y[i] = (chosen.g[i] as number) - (g[i] as number);
    }
    const sy = dot(s, y);
    x = chosen.x;
    g = chosen.g;
    f = chosen.value;
    iteration++;
    if (sy > 1e-300) {
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
      if (sList.length > memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
    }
    if (options.onIteration?.(iteration, f) === false) {
      reason = 'cancelled';
      break;
    }
    history.push(f);
    if (history.length > stallWindow) {
      const old = history.shift() as number;
      if (old - f <= rtol * Math.max(1, Math.abs(f))) {
        reason = 'stalled';
        break;
      }
    }
  }
  if (reason === 'max-iterations' && infNorm(g) <= gtol) reason = 'gradient';
  return { x, value: f, gradientNorm: infNorm(g), iterations: iteration, evaluations, reason };
}
