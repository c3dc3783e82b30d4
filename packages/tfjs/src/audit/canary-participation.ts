/**
 * Where each canary can take part in a run, as the accounting lets an adversary know it: the batches of a cyclic
 * sampler are fixed, so the canary's steps are known exactly; under Poisson sampling the draws are secret and every
 * step carries the sampling rate; under cyclic Poisson sampling the canary's group is fixed (the amplification comes
 * from the draws inside it), so the steps of its group carry the sampling rate.
 */
import type { BatchSampler } from '@cnm/sampler';

/** What the patterns are built from. */
export interface CanaryParticipationInput {
  /** The run's sampler (its declared participation says which rule applies). */
  readonly sampler: Pick<BatchSampler, 'participation'> & {
    readonly groupMembers?: (group: number) => Int32Array;
  };
  /** Index of the first canary slot in the sampler's data; canary i has slot `firstSlot + i`. */
  readonly firstSlot: number;
  /** Number of canaries m. */
  readonly canaries: number;
  /** Steps of the run n. */
  readonly steps: number;
  /** The batches the sampler drew, step by step (used for a cyclic sampler only). */
  readonly batches: readonly Int32Array[];
}

/**
 * The expected participation of each canary over the steps (length-n vectors): 1 on the steps a cyclic sampler puts
 * it in, the sampling rate on the steps it may be drawn in otherwise.
 */
export function canaryPatterns(input: CanaryParticipationInput): Float64Array[] {
  const { sampler, firstSlot, canaries, steps, batches } = input;
  const patterns = Array.from({ length: canaries }, () => new Float64Array(steps));
  const participation = sampler.participation;
  switch (participation.kind) {
    case 'cyclic': {
      if (batches.length !== steps) {
        throw new RangeError(
          `internal: ${steps} batches needed for the cyclic patterns, got ${batches.length}`,
        );
      }
      batches.forEach((batch, t) => {
        for (const slot of batch) {
          const i = slot - firstSlot;
          if (i >= 0 && i < canaries) (patterns[i] as Float64Array)[t] = 1;
        }
      });
      return patterns;
    }
    case 'poisson':
      for (const pattern of patterns) pattern.fill(participation.sampleRate);
      return patterns;
    case 'cyclicPoisson': {
      const members = sampler.groupMembers;
      if (members === undefined)
        throw new TypeError('internal: a cyclic Poisson sampler without groupMembers');
      for (let group = 0; group < participation.bands; group++) {
        for (const slot of members.call(sampler, group)) {
          const i = slot - firstSlot;
          if (i < 0 || i >= canaries) continue;
          const pattern = patterns[i] as Float64Array;
          for (let t = group; t < steps; t += participation.bands) pattern[t] = participation.sampleRate;
        }
      }
      return patterns;
    }
    default:
      throw new RangeError(
        `auditing supports the engine's own samplers, not a ${participation.kind} sampler`,
      );
  }
}
