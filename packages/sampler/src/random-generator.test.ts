import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkIntRange, type RandomGenerator, uniformIntFromWords } from './random-generator';
import { SeededRandom } from './seeded-random';

/** A generator that replays given words, to check exactly which draws the rejection step discards. */
function replay(values: number[]): RandomGenerator & { used: number } {
  const rng = {
    used: 0,
    nextUint32(): number {
      const value = values[rng.used++];
      if (value === undefined) throw new Error('replay exhausted');
      return value;
    },
    nextFloat64: () => 0,
    nextInt: () => 0,
    fillUint32: () => undefined,
  };
  return rng;
}

describe('uniformIntFromWords (rejection, no modulo bias)', () => {
  it('rejects the words above the largest multiple of the range', () => {
    // 2^32 mod 3 = 1, so the single word 2^32 - 1 must be discarded.
    const rng = replay([2 ** 32 - 1, 5]);
    expect(uniformIntFromWords(rng, 10, 3)).toBe(10 + (5 % 3));
    expect(rng.used).toBe(2);
  });

  it('accepts every word below the limit without extra draws', () => {
    const rng = replay([2 ** 32 - 2]);
    expect(uniformIntFromWords(rng, 0, 3)).toBe((2 ** 32 - 2) % 3);
    expect(rng.used).toBe(1);
  });

  it('uses 53-bit draws for ranges above 2^32', () => {
    const range = 2 ** 40 + 3;
    const rng = replay([0xffffffff, 0xffffffff, 0, 7]);
    // The first 53-bit value, 2^53 - 1, lies above the largest multiple of the range and is discarded.
    expect(uniformIntFromWords(rng, 0, range)).toBe(7);
    expect(rng.used).toBe(4);
  });

  it('stays in range for arbitrary bounds (property)', () => {
    const rng = SeededRandom.fromSeed(123);
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.integer({ min: 1, max: 2 ** 45 }),
        (min, range) => {
          const value = rng.nextInt(min, min + range);
          expect(Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(min);
          expect(value).toBeLessThan(min + range);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a range of one always returns the lower bound', () => {
    expect(SeededRandom.fromSeed(1).nextInt(4, 5)).toBe(4);
  });
});

describe('checkIntRange', () => {
  it.each([
    [0, 0, /maxExclusive - minInclusive must be in \[1, 2\^53\]/],
    [5, 2, /maxExclusive - minInclusive/],
    [0.5, 3, /minInclusive must be an integer/],
    [0, Number.NaN, /maxExclusive must be an integer/],
    [-(2 ** 53) + 1, 2 ** 53 - 1, /\[1, 2\^53\]/],
  ])('rejects [%s, %s)', (min, max, message) => {
    expect(() => checkIntRange(min, max)).toThrow(message);
  });
});
