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
    isSecure: false,
    nextFloat64: () => 0,
    nextInt: () => 0,
    fillUint32: () => undefined,
  };
  return rng;
}

describe('uniformIntFromWords (bitmask rejection, no modulo bias)', () => {
  it('takes the top bits and rejects values at or above the range', () => {
    // Range 3 needs 2 bits: the word 0xc0000000 gives 3 (rejected), 0x80000000 gives 2.
    const rng = replay([0xc0000000, 0x80000000]);
    expect(uniformIntFromWords(rng, 10, 3)).toBe(12);
    expect(rng.used).toBe(2);
  });

  it('ignores the low bits of the word', () => {
    const rng = replay([0x3fffffff]);
    expect(uniformIntFromWords(rng, 0, 3)).toBe(0);
    expect(rng.used).toBe(1);
  });

  it('uses every bit for a range of 2^32 and none for a range of 1', () => {
    expect(uniformIntFromWords(replay([0xfffffffe]), 0, 2 ** 32)).toBe(0xfffffffe);
    const single = replay([]);
    expect(uniformIntFromWords(single, 7, 1)).toBe(7);
    expect(single.used).toBe(0);
  });

  it('uses the top bits of 53-bit draws for ranges above 2^32', () => {
    // Range 2^40 + 3 needs 41 bits, the top 41 of (high >>> 11) · 2^32 + low.
    const range = 2 ** 40 + 3;
    const rng = replay([0xffffffff, 0xffffffff, 0, 0x00001000]);
    // First draw: all ones, 2^41 - 1 >= range, rejected. Second: 0x1000 / 2^12 = 1.
    expect(uniformIntFromWords(rng, 0, range)).toBe(1);
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

  it('is exactly uniform over all outcomes of a small word source (brute force)', () => {
    // Feed every 4-bit pattern in the top bits: each of the 3 values must come from the same number of words.
    const counts = [0, 0, 0];
    for (let top = 0; top < 16; top++) {
      const rng = replay([top * 2 ** 28, 0]);
      const value = uniformIntFromWords(rng, 0, 3);
      // Words whose top 2 bits are 11 are rejected and the fallback word 0 gives 0; count accepted ones only.
      if (rng.used === 1) counts[value]!++;
    }
    expect(counts).toEqual([4, 4, 4]);
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
