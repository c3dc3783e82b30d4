/**
 * Renyi-DP accountant: keeps the composed RDP curve on a grid of orders (RDP composes by addition)
 * and converts it to (epsilon, delta) on demand.
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
import { DEFAULT_RDP_ORDERS, type RdpConversion, rdpSampledGaussian, rdpToDelta, rdpToEpsilon } from './rdp';

/** Options of {@link RdpAccountant}. */
export interface RdpAccountantOptions {
  /** RDP orders (each > 1); default {@link DEFAULT_RDP_ORDERS}. */
  readonly orders?: readonly number[];
  /** RDP-to-DP conversion; default `'tight'`. */
  readonly conversion?: RdpConversion;
}

/** RDP curve (on `orders`) of `atom.count` steps of one sampled Gaussian. */
export function rdpOfAtom(orders: readonly number[], atom: SampledGaussianAtom): Float64Array {
  const rdp = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    rdp[k] = atom.count * rdpSampledGaussian(atom.sampleRate, atom.noiseMultiplier, orders[k]!);
  }
  return rdp;
}

/**
 * Accountant based on Renyi DP of the Poisson-subsampled Gaussian, exact at every order of its grid.
 * Supports Gaussian events, Poisson sampling of a Gaussian, self-composition, composition and no-ops.
 */
export class RdpAccountant implements PrivacyAccountant {
  /** Always `'rdp'`. */
  readonly kind = 'rdp' as const;
  /** The orders of the RDP curve. */
  readonly orders: readonly number[];
  /** RDP-to-DP conversion in use. */
  readonly conversion: RdpConversion;
  private readonly rdp: Float64Array;
  private readonly history: ComposedEntry[] = [];
  private readonly options: RdpAccountantOptions;

  /** @param options - order grid and conversion rule. */
  constructor(options: RdpAccountantOptions = {}) {
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (!Array.isArray(orders) || orders.length === 0)
      throw new RangeError('orders must be a non-empty array');
    for (const order of orders) {
      if (typeof order !== 'number' || !Number.isFinite(order) || order <= 1 || order > 1e6) {
        throw new RangeError(`orders must be finite numbers in (1, 1e6], got ${String(order)}`);
      }
    }
    const conversion = options.conversion ?? 'tight';
    if (conversion !== 'tight' && conversion !== 'classic') {
      throw new RangeError(`conversion must be 'tight' or 'classic', got ${String(conversion)}`);
    }
    this.orders = Object.freeze([...orders]);
    this.conversion = conversion;
    this.rdp = new Float64Array(orders.length);
    this.options = options;
  }

  /** Rebuilds an accountant from {@link RdpAccountant.toJSON} output. */
  static fromJSON(state: AccountantState): RdpAccountant {
    return restoreAccountant(state, 'rdp', (options) => new RdpAccountant(options as RdpAccountantOptions));
  }

  /** True for Gaussian events, possibly Poisson-sampled, and compositions of them. */
  supports(event: DpEvent): boolean {
    return typeof flattenEvent(event) !== 'string';
  }

  /** Adds `count` (default 1) repetitions of `event` to the composed RDP curve. */
  compose(event: DpEvent, count = 1): this {
    const atoms = atomsToCompose('RDP', event, count);
    for (const atom of atoms) {
      const rdp = rdpOfAtom(this.orders, atom);
      for (let k = 0; k < rdp.length; k++) this.rdp[k] = this.rdp[k]! + rdp[k]!;
    }
    this.history.push({ event, count });
    return this;
  }

  /** The composed RDP curve, one value per order. */
  getRdp(): Float64Array {
    return this.rdp.slice();
  }

  /** Smallest epsilon over the orders at `delta` (in `(0, 1)`), clamped at 0. */
  getEpsilon(delta: number): number {
    assertDelta(delta);
    return rdpToEpsilon(this.orders, this.rdp, delta, this.conversion);
  }

  /** Smallest delta over the orders at `epsilon` (>= 0). */
  getDelta(epsilon: number): number {
    assertEpsilon(epsilon);
    return rdpToDelta(this.orders, this.rdp, epsilon, this.conversion);
  }

  /** Serialisable state: options and composition history. */
  toJSON(): AccountantState {
    const options: Record<string, unknown> = {};
    if (this.options.orders !== undefined) options.orders = [...this.orders];
    if (this.options.conversion !== undefined) options.conversion = this.conversion;
    return accountantState(this.kind, options, this.history);
  }
}
