import { describe, expect, it } from 'vitest';
import { type Participation, resolveParticipation } from './participation';

describe('resolveParticipation', () => {
  it('maps each pattern to (b, k_eff)', () => {
    expect(resolveParticipation('single', 50)).toEqual({
      kind: 'minSeparation',
      minSeparation: 50,
      effectiveParticipations: 1,
    });
    expect(
      resolveParticipation({ minSeparation: 10, maxParticipations: 3 }, 50).effectiveParticipations,
    ).toBe(3);
    expect(
      resolveParticipation({ minSeparation: 10, maxParticipations: 30 }, 50).effectiveParticipations,
    ).toBe(5);
    expect(
      resolveParticipation({ minSeparation: 10, maxParticipations: 30 }, 51).effectiveParticipations,
    ).toBe(6);
    expect(resolveParticipation({ kind: 'cyclic', minSeparation: 7 }, 50)).toEqual({
      kind: 'cyclic',
      minSeparation: 7,
      effectiveParticipations: 8,
    });
  });

  it('rejects malformed patterns naming the field', () => {
    expect(() => resolveParticipation('multi' as unknown as Participation, 5)).toThrow(
      /participation must be 'single'/,
    );
    expect(() =>
      resolveParticipation({ kind: 'banded', minSeparation: 2 } as unknown as Participation, 5),
    ).toThrow(/participation.kind must be 'minSeparation' or 'cyclic'/);
    expect(() => resolveParticipation({ kind: 'cyclic', minSeparation: 2.5 }, 5)).toThrow(
      /minSeparation must be an integer in \[1, /,
    );
    expect(() => resolveParticipation('single', 0)).toThrow(/steps must be an integer in \[1, /);
  });
});
