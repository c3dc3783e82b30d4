/** The fitting problem: steps, separation, k_eff and which error. */
export interface Problem {
  readonly steps: number;
  readonly minSeparation: number;
  readonly participations: number;
  readonly kind: 'max' | 'mean';
}

/**
 * The boundary of the fitted BLT family: C = I and the single-parameter strategies c_j = γ^j (θ̂ = 0), which the
 * optimiser on the open set only creeps up to. Evaluated exactly and minimised in one dimension, they are a floor
 * under every buffer count of {@link fitBlt}.
 */
import { Blt } from './blt';
import { bltSensitivitySquared } from './blt-loss';

// Decays closer to 1 than this would be rounded by more than 0.1% in float64 (spacing 1.1e-16 below 1).
export const smallestComplement = 1e-13;

/** The best strategy of the closure's boundary: C = I (γ = 0) or the single-parameter c_j = γ^j. */
export interface BoundaryFit {
  readonly gamma: number;
  readonly sensSquared: number;
  readonly error: number;
  readonly loss: number;
}

/**
 * Figures of the single-parameter strategy c_j = γ^j, C⁻¹ = LTToep(1, -γ), for γ in [0, 1) (γ = 0: C = I). It is
 * the 1-buffer BLT θ = ω = γ whose inverse decay is θ̂ = 0, so it bounds the fitted family (0 < θ̂) without being
 * in it. Prefix sums of C⁻¹ are 1, 1 - γ, 1 - γ, …: max error 1 + (n - 1)(1 - γ)², mean error 1 + (n - 1)(1 - γ)²/2.
 * c is non-negative and non-increasing, so the min-separation closed form gives sens² (k_eff for C = I).
 */
function singleParameterFigures(problem: Problem, gamma: number): BoundaryFit {
  const n = problem.steps;
  const u = 1 - gamma;
  const sensSquared =
    gamma === 0
      ? problem.participations
      : bltSensitivitySquared(
          Float64Array.of(u),
          Float64Array.of(gamma),
          n,
          problem.minSeparation,
          problem.participations,
        );
  const error = 1 + (problem.kind === 'max' ? n - 1 : (n - 1) / 2) * u * u;
  return { gamma, sensSquared, error, loss: Math.sqrt(sensSquared * error) };
}

/**
 * Minimises the single-parameter loss over γ in [0, 1): a grid in t = log(1 - γ) on [log 1e-13, 0] (the optimal γ
 * of a long run sits near 1 - n^(-1/2)), then golden-section search in the grid cell pair around the best node.
 * About 70 evaluations of O(k_eff) each.
 */
export function bestSingleParameter(problem: Problem): BoundaryFit {
  const at = (t: number) => singleParameterFigures(problem, t === 0 ? 0 : -Math.expm1(t));
  const nodes = 24;
  const lowest = Math.log(smallestComplement);
  const node = (k: number) => (lowest * k) / nodes;
  let best = at(0);
  let bestNode = 0;
  for (let k = 1; k <= nodes; k++) {
    const candidate = at(node(k));
    if (candidate.loss < best.loss) {
      best = candidate;
      bestNode = k;
    }
  }
  let lo = node(Math.min(bestNode + 1, nodes));
  let hi = node(Math.max(bestNode - 1, 0));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = at(a);
  let fb = at(b);
  while (hi - lo > 1e-9 * Math.max(1, Math.abs(lo))) {
    for (const f of [fa, fb]) if (f.loss < best.loss) best = f;
    // a < b: the minimum of a unimodal loss lies in [lo, b] when f(a) < f(b), else in [a, hi].
    if (fa.loss < fb.loss) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = at(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = at(b);
    }
  }
  for (const f of [fa, fb]) if (f.loss < best.loss) best = f;
  return best;
}

/**
 * The single-parameter strategy c_j = γ^j (γ = 0: C = I) as a BLT with `bufferCount` buffers: θ = ω = γ, and
 * inert buffers (output scale 0, distinct decays 1/2, 1/4, …) up to the count the caller asked for.
 */
export function boundaryBlt(gamma: number, bufferCount: number): Blt {
  const decays = gamma === 0 ? [] : [gamma];
  const scales = gamma === 0 ? [] : [gamma];
  for (let k = 1; decays.length < bufferCount; k++) {
    if (2 ** -k === gamma) continue;
    decays.push(2 ** -k);
    scales.push(0);
  }
  return new Blt(decays, scales);
}
