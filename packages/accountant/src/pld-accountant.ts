/**
 * Privacy-loss-distribution accountant for Poisson-subsampled Gaussian mechanisms: tight, pessimistic
 * (epsilon, delta) by FFT composition of discretised PLDs in both adjacency directions.
 */
import type { AccountantState, PrivacyAccountant } from './accountant';
import {
  accountantState,
  atomsToCompose,
  type ComposedEntry,
  restoreAccountant,
} from './composition-history';
import { type DpEvent, flattenEvent, type SampledGaussianAtom } from './events';
import { assertDelta, assertEpsilon } from './gaussian';
import {
  composePlds,
  DEFAULT_MAX_SUPPORT,
  type DiscretePld,
  discretizeSampledGaussian,
  MAX_SINGLE_STEP_POINTS,
  type PldDirection,
  pldDelta,
  pldEpsilon,
  SupportTooLargeError,
  selfComposePld,
  truncatePld,
} from './pld';
import { assertInRange, assertInteger } from './validate';

/** Default discretisation interval of the privacy loss. */
export const DEFAULT_PLD_INTERVAL = 1e-4;
/** Default bound on the probability moved to +Infinity by truncating tails. */
export const DEFAULT_PLD_TAIL_MASS = 1e-15;

/** Options of {@link PldAccountant}. */
export interface PldAccountantOptions {
  /**
   * Discretisation interval of the privacy loss, in `[1e-7, 1]`; default 1e-4. When one step would
   * need more than 2^17 grid points, or the composed distribution more than `maxSupport`, the
   * interval is multiplied by the smallest power of two that makes it fit (coarser is still a valid
   * upper bound, only less tight; this happens for small noise multipliers, whose epsilons are large,
   * and very long compositions); see {@link PldAccountant.getInterval}.
   */
  readonly interval?: number;
  /**
   * Bound on the total probability that tail truncation moves to +Infinity, in `[1e-30, 1e-6]`;
   * default 1e-15. Queries with `delta < 1000 * tailMass` lower it to `delta / 1000` for that query.
   */
  readonly tailMass?: number;
  /** Most grid points of a composed PLD (memory bound: about 60 bytes each), in `[2^10, 2^24]`; default 2^20. */
  readonly maxSupport?: number;
}

/** Composed PLDs for both directions at the interval actually used. */
export interface ComposedPlds {
  /** Removal-direction PLD. */
  readonly remove: DiscretePld;
  /** Addition-direction PLD. */
  readonly add: DiscretePld;
  /** Interval actually used (>= the requested one). */
  readonly interval: number;
}

/**
 * Up to this many repetitions, self-composition is done by direct FFT convolutions (binary powering):
 * for few steps the power of the spectrum barely smooths it, and its rounding allowance would be
 * loose, while a few plain convolutions are accurate to rounding.
 */
const SMALL_COUNT = 8;

/** `count`-fold composition by binary powering with plain convolutions, tails truncated pessimistically. */
function composeBySquaring(
  pld: DiscretePld,
  count: number,
  tailMass: number,
  maxSupport: number,
): DiscretePld {
  const truncationTail = tailMass / (2 * Math.ceil(Math.log2(count + 1)) + 2);
  let result: DiscretePld | undefined;
  let power = pld;
  for (let remaining = count; remaining > 0; remaining >>= 1) {
    if (remaining & 1) {
      result =
        result === undefined
          ? power
          : truncatePld(composePlds(result, power, 2 * maxSupport), truncationTail);
    }
    if (remaining > 1) power = truncatePld(composePlds(power, power, 2 * maxSupport), truncationTail);
  }
  return result!;
}

/** Largest interval the coarsening may reach before the composition is refused. */
const MAX_INTERVAL = 1e3;

/**
 * Composes sampled-Gaussian atoms into PLDs (both directions). Atoms without sampling are merged
 * exactly first (Gaussians compose to a Gaussian: 1/sigma^2 adds up). The interval is doubled until
 * every array fits in `maxSupport` points.
 */
export function composeSampledGaussians(
  atoms: readonly SampledGaussianAtom[],
  interval: number,
  tailMass: number,
  maxSupport: number,
): ComposedPlds | undefined {
  const merged: SampledGaussianAtom[] = [];
  let gaussianPrecision = 0;
  for (const atom of atoms) {
    if (atom.count === 0 || atom.sampleRate === 0) continue;
    if (atom.sampleRate === 1)
      gaussianPrecision += atom.count / (atom.noiseMultiplier * atom.noiseMultiplier);
    else merged.push(atom);
  }
  if (gaussianPrecision > 0)
    merged.push({ noiseMultiplier: 1 / Math.sqrt(gaussianPrecision), sampleRate: 1, count: 1 });
  if (merged.length === 0) return undefined;
  const totalCount = merged.reduce((sum, atom) => sum + atom.count, 0);
  // Tail budget: half for the single-step truncations (which compose additively), half for the windows.
  const singleTail = tailMass / (2 * totalCount);
  const windowTail = tailMass / (2 * (2 * merged.length));
  let h = interval;
  while (h <= MAX_INTERVAL) {
    try {
      const result: Partial<Record<PldDirection, DiscretePld>> = {};
      for (const atom of merged) {
        const single = discretizeSampledGaussian(
          atom.sampleRate,
          atom.noiseMultiplier,
          h,
          singleTail,
          Math.min(maxSupport, MAX_SINGLE_STEP_POINTS),
        );
        for (const direction of ['remove', 'add'] as const) {
          const composed =
            atom.count <= SMALL_COUNT
              ? composeBySquaring(single[direction], atom.count, windowTail, maxSupport)
              : selfComposePld(single[direction], atom.count, windowTail, maxSupport);
          const previous = result[direction];
          result[direction] =
            previous === undefined
              ? composed
              : truncatePld(composePlds(previous, composed, 2 * maxSupport), windowTail);
        }
      }
      return { remove: result.remove!, add: result.add!, interval: h };
    } catch (error) {
      if (!(error instanceof SupportTooLargeError)) throw error;
      // The needed points scale like 1/h: coarsen by the power of two that makes them fit.
      h *= 2 ** Math.max(1, Math.ceil(Math.log2(error.needed / error.limit)));
    }
  }
  throw new RangeError(`the PLD does not fit in maxSupport points even at interval ${MAX_INTERVAL}`);
}

/**
 * Accountant based on privacy loss distributions (pessimistic connect-the-dots discretisation, both
 * adjacency directions, FFT composition). The tightest accountant here for Poisson-sampled DP-SGD.
 * Composition is lazy: the PLDs are built at the first query after a `compose` and cached.
 */
export class PldAccountant implements PrivacyAccountant {
  /** Always `'pld'`. */
  readonly kind = 'pld' as const;
  /** Requested discretisation interval. */
  readonly interval: number;
  /** Requested bound on the probability moved to +Infinity. */
  readonly tailMass: number;
  /** Largest number of grid points of any array. */
  readonly maxSupport: number;
  private atoms: SampledGaussianAtom[] = [];
  private readonly history: ComposedEntry[] = [];
  private cache: { tailMass: number; plds: ComposedPlds | undefined } | undefined;
  private readonly options: PldAccountantOptions;

  /** @param options - interval, tail mass and memory bound. */
  constructor(options: PldAccountantOptions = {}) {
    this.interval = options.interval ?? DEFAULT_PLD_INTERVAL;
    this.tailMass = options.tailMass ?? DEFAULT_PLD_TAIL_MASS;
    this.maxSupport = options.maxSupport ?? DEFAULT_MAX_SUPPORT;
    assertInRange('interval', this.interval, { min: 1e-7, max: 1 });
    assertInRange('tailMass', this.tailMass, { min: 1e-30, max: 1e-6 });
    assertInteger('maxSupport', this.maxSupport, 2 ** 10, 2 ** 24);
    this.options = options;
  }

  /** Rebuilds an accountant from {@link PldAccountant.toJSON} output. */
  static fromJSON(state: AccountantState): PldAccountant {
    return restoreAccountant(state, 'pld', (options) => new PldAccountant(options as PldAccountantOptions));
  }

  /** True for Gaussian events, possibly Poisson-sampled, and compositions of them. */
  supports(event: DpEvent): boolean {
    return typeof flattenEvent(event) !== 'string';
  }

  /** Adds `count` (default 1) repetitions of `event`. */
  compose(event: DpEvent, count = 1): this {
    const atoms = atomsToCompose('PLD', event, count);
    const byKey = new Map(this.atoms.map((atom) => [`${atom.noiseMultiplier}|${atom.sampleRate}`, atom]));
    for (const atom of atoms) {
      const key = `${atom.noiseMultiplier}|${atom.sampleRate}`;
      const previous = byKey.get(key);
      byKey.set(key, previous ? { ...previous, count: previous.count + atom.count } : atom);
    }
    this.atoms = [...byKey.values()];
    this.history.push({ event, count });
    this.cache = undefined;
    return this;
  }

  private composed(tailMass: number): ComposedPlds | undefined {
    if (this.cache === undefined || this.cache.tailMass > tailMass) {
      this.cache = {
        tailMass,
        plds: composeSampledGaussians(this.atoms, this.interval, tailMass, this.maxSupport),
      };
    }
    return this.cache.plds;
  }

  /** Interval actually used by the last composition (after any coarsening), or the requested one. */
  getInterval(): number {
    return this.cache?.plds?.interval ?? this.interval;
  }

  /** Smallest epsilon >= 0 at `delta` in `(0, 1)`: the larger of the two adjacency directions. */
  getEpsilon(delta: number): number {
    assertDelta(delta);
    const plds = this.composed(Math.min(this.tailMass, delta / 1000));
    if (plds === undefined) return 0;
    return Math.max(pldEpsilon(plds.remove, delta), pldEpsilon(plds.add, delta));
  }

  /** Smallest delta at `epsilon` >= 0: the larger of the two adjacency directions. */
  getDelta(epsilon: number): number {
    assertEpsilon(epsilon);
    const plds = this.composed(this.tailMass);
    if (plds === undefined) return 0;
    return Math.max(pldDelta(plds.remove, epsilon), pldDelta(plds.add, epsilon));
  }

  /** Serialisable state: options and composition history. */
  toJSON(): AccountantState {
    const options: Record<string, unknown> = {};
    if (this.options.interval !== undefined) options.interval = this.interval;
    if (this.options.tailMass !== undefined) options.tailMass = this.tailMass;
    if (this.options.maxSupport !== undefined) options.maxSupport = this.maxSupport;
    return accountantState(this.kind, options, this.history);
  }
}
