/**
 * Composition bookkeeping shared by the accountants: the checked atoms of one `compose` call, the
 * recorded history of calls, and its serialisation and replay (checkpoints store events, not numbers).
 */
import {
  type AccountantKind,
  type AccountantState,
  assertAccountantState,
  type PrivacyAccountant,
} from './accountant';
import {
  type DpEvent,
  eventFromJSON,
  flattenEvent,
  type SampledGaussianAtom,
  UnsupportedEventError,
} from './events';
import { assertInteger } from './validate';

/** One recorded `compose` call: the event and how many times it was composed. */
export interface ComposedEntry {
  /** The composed event. */
  readonly event: DpEvent;
  /** Number of repetitions. */
  readonly count: number;
}

/**
 * Checks `count` (integer >= 0) and flattens `count` repetitions of `event` into sampled-Gaussian
 * atoms; a refusal from `flatten` becomes an {@link UnsupportedEventError} naming `accountantName`.
 */
export function atomsToCompose(
  accountantName: string,
  event: DpEvent,
  count: number,
  flatten: (event: DpEvent, count: number) => SampledGaussianAtom[] | string = flattenEvent,
): SampledGaussianAtom[] {
  assertInteger('count', count, 0);
  const atoms = flatten(event, count);
  if (typeof atoms === 'string') throw new UnsupportedEventError(accountantName, event, atoms);
  return atoms;
}

/** Version-1 serialised state of an accountant of `kind` with `options` and `history`. */
export function accountantState(
  kind: AccountantKind,
  options: Readonly<Record<string, unknown>>,
  history: readonly ComposedEntry[],
): AccountantState {
  return {
    version: 1,
    kind,
    options,
    history: history.map(({ event, count }) => ({ event: event.toJSON(), count })),
  };
}

/**
 * Checks that `state` is a `kind` state, builds an accountant from its options with `create`, and
 * replays every recorded composition into it, in order.
 */
export function restoreAccountant<A extends PrivacyAccountant>(
  state: AccountantState,
  kind: AccountantKind,
  create: (options: Readonly<Record<string, unknown>>) => A,
): A {
  assertAccountantState(state, kind);
  const accountant = create(state.options);
  for (const entry of state.history) accountant.compose(eventFromJSON(entry.event), entry.count);
  return accountant;
}
