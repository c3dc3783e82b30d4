/**
 * Exact accountant for Gaussian mechanisms without amplification: k releases with noise multipliers
 * sigma_i compose to mu-GDP with mu = sqrt(sum_i 1/sigma_i^2), whose (epsilon, delta) curve is exact.
 */
import type { AccountantState, PrivacyAccountant } from './accountant';
import {
  accountantState,
  atomsToCompose,
  type ComposedEntry,
  restoreAccountant,
} from './composition-history';
import { type DpEvent, flattenEvent, type SampledGaussianAtom } from './events';
import { assertDelta, assertEpsilon, gdpDelta, gdpEpsilon } from './gaussian';

function gaussianAtoms(event: DpEvent, count: number): SampledGaussianAtom[] | string {
  const atoms = flattenEvent(event, count);
  if (typeof atoms === 'string') return atoms;
  if (atoms.some((atom) => atom.sampleRate !== 1)) {
    return 'the exact Gaussian accountant has no amplification by sampling (use the PLD or RDP accountant)';
  }
  return atoms;
}

/**
 * Exact (mu-GDP) accountant for Gaussian events without sampling. Poisson sampling with rate < 1 is
 * refused; sampling rate 1 is the plain Gaussian.
 */
export class GaussianAccountant implements PrivacyAccountant {
  /** Always `'gaussian'`. */
  readonly kind = 'gaussian' as const;
  private muSquared = 0;
  private readonly history: ComposedEntry[] = [];

  /** Rebuilds an accountant from {@link GaussianAccountant.toJSON} output. */
  static fromJSON(state: AccountantState): GaussianAccountant {
    return restoreAccountant(state, 'gaussian', () => new GaussianAccountant());
  }

  /** True for Gaussian events without sampling (or with rate 1), and compositions of them. */
  supports(event: DpEvent): boolean {
    return typeof gaussianAtoms(event, 1) !== 'string';
  }

  /** Adds `count` (default 1) repetitions of `event`. */
  compose(event: DpEvent, count = 1): this {
    const atoms = atomsToCompose('Gaussian', event, count, gaussianAtoms);
    for (const atom of atoms) this.muSquared += atom.count / (atom.noiseMultiplier * atom.noiseMultiplier);
    this.history.push({ event, count });
    return this;
  }

  /** mu of the composed mu-GDP guarantee. */
  getMu(): number {
    return Math.sqrt(this.muSquared);
  }

  /** Exact epsilon at `delta` in `(0, 1)`. */
  getEpsilon(delta: number): number {
    assertDelta(delta);
    return this.muSquared === 0 ? 0 : gdpEpsilon(this.getMu(), delta);
  }

  /** Exact delta at `epsilon` >= 0. */
  getDelta(epsilon: number): number {
    assertEpsilon(epsilon);
    return this.muSquared === 0 ? 0 : gdpDelta(this.getMu(), epsilon);
  }

  /** Serialisable state: the composition history. */
  toJSON(): AccountantState {
    return accountantState(this.kind, {}, this.history);
  }
}
