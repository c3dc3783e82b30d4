/**
 * The interface shared by every accountant, and the serialised state used for checkpoints. The state
 * records the composed events themselves (not derived numbers), so that restoring it recomputes the
 * exact same guarantee and stays small.
 */
import type { DpEvent, DpEventJson } from './events';

/** Which accounting method an accountant implements. */
export type AccountantKind = 'rdp' | 'pld' | 'gaussian';

/** One composed entry of an accountant's history: an event and how many times it was composed. */
export interface ComposedEntryJson {
  /** The event, in JSON form. */
  readonly event: DpEventJson;
  /** Number of times it was composed. */
  readonly count: number;
}

/** Serialised state of an accountant (`toJSON()`), restored by the accountant's `fromJSON`. */
export interface AccountantState {
  /** Format version of this state. */
  readonly version: 1;
  /** The accountant that wrote it. */
  readonly kind: AccountantKind;
  /** The accountant's options, as given to its constructor. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Every composition so far, in order. */
  readonly history: readonly ComposedEntryJson[];
}

/** A privacy accountant: composes events and reports (epsilon, delta) guarantees. */
export interface PrivacyAccountant {
  /** Which accounting method this is. */
  readonly kind: AccountantKind;
  /** Whether this accountant can account for `event` (if not, `compose` throws an `UnsupportedEventError`). */
  supports(event: DpEvent): boolean;
  /**
   * Composes `event` `count` times (default 1) with what was composed before.
   * @throws UnsupportedEventError when `supports(event)` is false.
   */
  compose(event: DpEvent, count?: number): this;
  /** Smallest epsilon (>= 0) of the composition at `delta` in `(0, 1)` this accountant can certify. */
  getEpsilon(delta: number): number;
  /** Smallest delta of the composition at `epsilon` (>= 0) this accountant can certify. */
  getDelta(epsilon: number): number;
  /** Serialisable state for checkpoints. */
  toJSON(): AccountantState;
}

/** Throws unless `state` looks like an {@link AccountantState} of `kind`. */
export function assertAccountantState(state: AccountantState, kind: AccountantKind): void {
  if (state === null || typeof state !== 'object' || state.version !== 1 || state.kind !== kind) {
    throw new TypeError(`expected a version-1 ${kind} accountant state`);
  }
  if (!Array.isArray(state.history)) throw new TypeError('accountant state needs a history array');
}
