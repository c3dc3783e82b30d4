/**
 * The event algebra, in the style of Google's dp_accounting: a privacy event describes what a
 * mechanism did (a Gaussian release, Poisson sampling of a sub-event, repetitions, a list of events),
 * and accountants turn events into guarantees. Events are immutable and serialise to plain JSON.
 */
import { assertInRange, assertInteger } from './validate';

/** A Gaussian mechanism with sensitivity 1 and noise standard deviation `noiseMultiplier`. */
export class GaussianEvent {
  /** Discriminant of the event union. */
  readonly kind = 'gaussian' as const;
  /** Noise standard deviation divided by the L2 sensitivity (sigma). */
  readonly noiseMultiplier: number;

  /** @param noiseMultiplier - noise standard deviation over sensitivity, in `(0, Infinity)`. */
  constructor(noiseMultiplier: number) {
    assertInRange('noiseMultiplier', noiseMultiplier, { min: 0, max: Number.MAX_VALUE, minExclusive: true });
    this.noiseMultiplier = noiseMultiplier;
  }

  /** Plain JSON form. */
  toJSON(): GaussianEventJson {
    return { kind: this.kind, noiseMultiplier: this.noiseMultiplier };
  }
}

/** `event` applied to a Poisson sample of the data: each record is included independently with `sampleRate`. */
export class PoissonSampledEvent {
  /** Discriminant of the event union. */
  readonly kind = 'poisson-sampled' as const;
  /** Inclusion probability of each record (q). */
  readonly sampleRate: number;
  /** The event run on the sample. */
  readonly event: DpEvent;

  /**
   * @param sampleRate - inclusion probability in `[0, 1]` (1 means no sampling).
   * @param event - the event run on the sample.
   */
  constructor(sampleRate: number, event: DpEvent) {
    assertInRange('sampleRate', sampleRate, { min: 0, max: 1 });
    assertEvent('event', event);
    this.sampleRate = sampleRate;
    this.event = event;
  }

  /** Plain JSON form. */
  toJSON(): PoissonSampledEventJson {
    return { kind: this.kind, sampleRate: this.sampleRate, event: this.event.toJSON() };
  }
}

/** `event` repeated `count` times (adaptive composition). */
export class SelfComposedEvent {
  /** Discriminant of the event union. */
  readonly kind = 'self-composed' as const;
  /** The repeated event. */
  readonly event: DpEvent;
  /** Number of repetitions. */
  readonly count: number;

  /**
   * @param event - the repeated event.
   * @param count - number of repetitions, an integer >= 0.
   */
  constructor(event: DpEvent, count: number) {
    assertEvent('event', event);
    assertInteger('count', count, 0);
    this.event = event;
    this.count = count;
  }

  /** Plain JSON form. */
  toJSON(): SelfComposedEventJson {
    return { kind: this.kind, event: this.event.toJSON(), count: this.count };
  }
}

/** The adaptive composition of a list of events. */
export class ComposedEvent {
  /** Discriminant of the event union. */
  readonly kind = 'composed' as const;
  /** The composed events. */
  readonly events: readonly DpEvent[];

  /** @param events - the events composed, in order. */
  constructor(events: readonly DpEvent[]) {
    if (!Array.isArray(events)) throw new TypeError('events must be an array of DpEvent');
    events.forEach((event, i) => {
      assertEvent(`events[${i}]`, event);
    });
    this.events = Object.freeze([...events]);
  }

  /** Plain JSON form. */
  toJSON(): ComposedEventJson {
    return { kind: this.kind, events: this.events.map((event) => event.toJSON()) };
  }
}

/** An event that reveals nothing about the data. */
export class NoOpEvent {
  /** Discriminant of the event union. */
  readonly kind = 'no-op' as const;

  /** Plain JSON form. */
  toJSON(): NoOpEventJson {
    return { kind: this.kind };
  }
}

/** Any privacy event. */
export type DpEvent = GaussianEvent | PoissonSampledEvent | SelfComposedEvent | ComposedEvent | NoOpEvent;

/** JSON form of {@link GaussianEvent}. */
export interface GaussianEventJson {
  /** Discriminant. */
  readonly kind: 'gaussian';
  /** See {@link GaussianEvent.noiseMultiplier}. */
  readonly noiseMultiplier: number;
}
/** JSON form of {@link PoissonSampledEvent}. */
export interface PoissonSampledEventJson {
  /** Discriminant. */
  readonly kind: 'poisson-sampled';
  /** See {@link PoissonSampledEvent.sampleRate}. */
  readonly sampleRate: number;
  /** See {@link PoissonSampledEvent.event}. */
  readonly event: DpEventJson;
}
/** JSON form of {@link SelfComposedEvent}. */
export interface SelfComposedEventJson {
  /** Discriminant. */
  readonly kind: 'self-composed';
  /** See {@link SelfComposedEvent.event}. */
  readonly event: DpEventJson;
  /** See {@link SelfComposedEvent.count}. */
  readonly count: number;
}
/** JSON form of {@link ComposedEvent}. */
export interface ComposedEventJson {
  /** Discriminant. */
  readonly kind: 'composed';
  /** See {@link ComposedEvent.events}. */
  readonly events: readonly DpEventJson[];
}
/** JSON form of {@link NoOpEvent}. */
export interface NoOpEventJson {
  /** Discriminant. */
  readonly kind: 'no-op';
}
/** JSON form of any {@link DpEvent}. */
export type DpEventJson =
  | GaussianEventJson
  | PoissonSampledEventJson
  | SelfComposedEventJson
  | ComposedEventJson
  | NoOpEventJson;

/** Rebuilds an event from its JSON form (validating every field). */
export function eventFromJSON(json: DpEventJson): DpEvent {
  if (json === null || typeof json !== 'object') throw new TypeError('event JSON must be an object');
  switch (json.kind) {
    case 'gaussian':
      return new GaussianEvent(json.noiseMultiplier);
    case 'poisson-sampled':
      return new PoissonSampledEvent(json.sampleRate, eventFromJSON(json.event));
    case 'self-composed':
      return new SelfComposedEvent(eventFromJSON(json.event), json.count);
    case 'composed':
      if (!Array.isArray(json.events)) throw new TypeError('composed event JSON needs an events array');
      return new ComposedEvent(json.events.map(eventFromJSON));
    case 'no-op':
      return new NoOpEvent();
    default:
      throw new TypeError(`unknown event kind ${JSON.stringify((json as { kind?: unknown }).kind)}`);
  }
}

/** Thrown by an accountant asked to compose an event it cannot account for. */
export class UnsupportedEventError extends TypeError {
  /** The refused event. */
  readonly event: DpEvent;

  /**
   * @param accountant - name of the refusing accountant.
   * @param event - the refused event.
   * @param reason - why it is refused.
   */
  constructor(accountant: string, event: DpEvent, reason: string) {
    super(`${accountant} accountant does not support ${JSON.stringify(event.toJSON())}: ${reason}`);
    this.name = 'UnsupportedEventError';
    this.event = event;
  }
}

function assertEvent(name: string, event: unknown): void {
  if (
    !(
      event instanceof GaussianEvent ||
      event instanceof PoissonSampledEvent ||
      event instanceof SelfComposedEvent ||
      event instanceof ComposedEvent ||
      event instanceof NoOpEvent
    )
  ) {
    throw new TypeError(`${name} must be a DpEvent (GaussianEvent, PoissonSampledEvent, ...)`);
  }
}

/**
 * One elementary mechanism an accountant works with: a Gaussian of noise multiplier `noiseMultiplier`,
 * Poisson-sampled with `sampleRate` (1 = no sampling), repeated `count` times.
 */
export interface SampledGaussianAtom {
  /** Noise multiplier of the Gaussian. */
  readonly noiseMultiplier: number;
  /** Poisson sampling rate, 1 when there is no sampling. */
  readonly sampleRate: number;
  /** Number of repetitions. */
  readonly count: number;
}

/**
 * Flattens an event into repeated sampled-Gaussian atoms, or returns the reason why it cannot be
 * (sampling of anything but a single Gaussian is not supported). Atoms with a zero sample rate or a
 * zero count reveal nothing and are dropped.
 */
export function flattenEvent(event: DpEvent, count = 1): SampledGaussianAtom[] | string {
  const atoms: SampledGaussianAtom[] = [];
  const visit = (e: DpEvent, times: number): string | undefined => {
    if (times === 0) return undefined;
    switch (e.kind) {
      case 'no-op':
        return undefined;
      case 'gaussian':
        atoms.push({ noiseMultiplier: e.noiseMultiplier, sampleRate: 1, count: times });
        return undefined;
      case 'poisson-sampled': {
        if (e.sampleRate === 0) return undefined;
        const inner = e.event;
        if (inner.kind === 'no-op') return undefined;
        if (inner.kind === 'gaussian') {
          atoms.push({ noiseMultiplier: inner.noiseMultiplier, sampleRate: e.sampleRate, count: times });
          return undefined;
        }
        if (e.sampleRate === 1) return visit(inner, times);
        return 'Poisson sampling is supported only around a single GaussianEvent';
      }
      case 'self-composed':
        return visit(e.event, times * e.count);
      case 'composed':
        for (const sub of e.events) {
          const reason = visit(sub, times);
          if (reason !== undefined) return reason;
        }
        return undefined;
    }
  };
  const reason = visit(event, count);
  return reason ?? mergeAtoms(atoms);
}

function mergeAtoms(atoms: readonly SampledGaussianAtom[]): SampledGaussianAtom[] {
  const merged = new Map<string, SampledGaussianAtom>();
  for (const atom of atoms) {
    const key = `${atom.noiseMultiplier}|${atom.sampleRate}`;
    const previous = merged.get(key);
    merged.set(key, previous ? { ...previous, count: previous.count + atom.count } : atom);
  }
  return [...merged.values()];
}
