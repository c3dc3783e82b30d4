/**
 * Participation patterns: how often, and how far apart, one example may contribute to the n training steps.
 * The sensitivity of a strategy must cover every pattern the data pipeline can produce.
 */
import { assertInteger } from './validate';

/**
 * A participation pattern:
 * - `'single'`: each example participates at most once (streaming, one epoch).
 * - `{ minSeparation, maxParticipations }`: (b, k)-min-separation: at most `maxParticipations` (k)
 *   participations, any two at least `minSeparation` (b) steps apart.
 * - `{ kind: 'cyclic', minSeparation }`: the example participates exactly every `minSeparation` steps
 *   (at s, s + b, s + 2b, … for an unknown offset s), as in cyclic passes over a fixed batch order.
 */
export type Participation = 'single' | MinSeparationParticipation | CyclicParticipation;

/** (b, k)-min-separation: at most k participations, any two at least b steps apart. */
export interface MinSeparationParticipation {
  /** Optional tag; `'minSeparation'` when given. */
  readonly kind?: 'minSeparation';
  /** b: the fewest steps between two participations of one example (integer ≥ 1). */
  readonly minSeparation: number;
  /** k: the most participations of one example (integer ≥ 1). */
  readonly maxParticipations: number;
}

/** Cyclic participation: exactly every `minSeparation` steps, from an unknown offset. */
export interface CyclicParticipation {
  /** Tag. */
  readonly kind: 'cyclic';
  /** The period b (steps per epoch for one pass over a fixed batch order; integer ≥ 1). */
  readonly minSeparation: number;
}

/** A validated participation pattern for a given number of steps. */
export interface ResolvedParticipation {
  /** `'minSeparation'` (single participation is b = n, k = 1) or `'cyclic'`. */
  readonly kind: 'minSeparation' | 'cyclic';
  /** Minimum separation b between two participations (for cyclic: the period). */
  readonly minSeparation: number;
  /** k_eff = min(k, ⌈n/b⌉): the most participations that fit into the run. */
  readonly effectiveParticipations: number;
}

/** Validates a participation pattern for `steps` steps and computes k_eff = min(k, ⌈steps/b⌉). */
export function resolveParticipation(participation: Participation, steps: number): ResolvedParticipation {
  assertInteger('steps', steps, 1);
  if (participation === 'single') {
    return { kind: 'minSeparation', minSeparation: steps, effectiveParticipations: 1 };
  }
  if (participation === null || typeof participation !== 'object') {
    throw new TypeError(
      "participation must be 'single', { minSeparation, maxParticipations } or { kind: 'cyclic', minSeparation }",
    );
  }
  assertInteger('minSeparation', participation.minSeparation, 1);
  const fit = Math.ceil(steps / participation.minSeparation);
  if (participation.kind === 'cyclic') {
    return { kind: 'cyclic', minSeparation: participation.minSeparation, effectiveParticipations: fit };
  }
  if (participation.kind !== undefined && participation.kind !== 'minSeparation') {
    throw new TypeError(
      `participation.kind must be 'minSeparation' or 'cyclic', got '${String(participation.kind)}'`,
    );
  }
  assertInteger('maxParticipations', participation.maxParticipations, 1);
  return {
    kind: 'minSeparation',
    minSeparation: participation.minSeparation,
    effectiveParticipations: Math.min(participation.maxParticipations, fit),
  };
}
