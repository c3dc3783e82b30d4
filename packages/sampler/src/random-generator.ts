import { assertInteger } from './validate';

/**
 * A source of uniformly distributed random bits. Both {@link SeededRandom} (reproducible, exportable state) and
 * {@link SecureRandom} (operating-system entropy) implement it, and every sampler and Gaussian routine of this
 * package accepts either.
 */
export interface RandomGenerator {
  /**
   * Whether the draws are cryptographically unpredictable: `true` for {@link SecureRandom}, `false` for
   * {@link SeededRandom} (anyone who knows or guesses the seed can replay them). Secure modes accept only
   * generators that declare `true`.
   */
  readonly isSecure: boolean;
  /** Returns 32 uniformly random bits as an unsigned integer in `[0, 2^32)`. */
  nextUint32(): number;
  /** Returns a uniform float64 in `[0, 1)` carrying 53 random bits (every multiple of `2^-53` equally likely). */
  nextFloat64(): number;
  /**
   * Returns a uniform integer in `[minInclusive, maxExclusive)`, without modulo bias (bitmask rejection).
   * Both bounds must be safe integers with `0 < maxExclusive - minInclusive <= 2^53`.
   */
  nextInt(minInclusive: number, maxExclusive: number): number;
  /** Fills `out` with 32-bit unsigned random words. */
  fillUint32(out: Uint32Array): void;
}

const TWO_POW_26 = 2 ** 26;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;
const TWO_POW_MINUS_53 = 2 ** -53;

/**
 * Builds a 53-bit float in `[0, 1)` from two 32-bit words, taking the high 27 and 26 bits (the high bits of
 * xoroshiro128+ outputs are its strongest ones).
 */
export function float64FromWords(high: number, low: number): number {
  return ((high >>> 5) * TWO_POW_26 + (low >>> 6)) * TWO_POW_MINUS_53;
}

/** Builds a uniform integer in `[0, 2^53)` from two 32-bit words. */
function int53FromWords(high: number, low: number): number {
  return (high >>> 11) * TWO_POW_32 + (low >>> 0);
}

/** Checks the bounds of {@link RandomGenerator.nextInt} and returns the range size. */
export function checkIntRange(minInclusive: number, maxExclusive: number): number {
  assertInteger('minInclusive', minInclusive, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  assertInteger('maxExclusive', maxExclusive, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const range = maxExclusive - minInclusive;
  if (!(range > 0 && range <= TWO_POW_53)) {
    throw new RangeError(
      `maxExclusive - minInclusive must be in [1, 2^53], got ${String(maxExclusive)} - ${String(minInclusive)}`,
    );
  }
  return range;
}

/**
 * Uniform integer in `[minInclusive, minInclusive + range)` by bitmask rejection: take the top
 * `ceil(log2(range))` bits of a 32-bit word (or of 53 bits from two words when `range > 2^32`) and retry while
 * the value is `>= range`. Every value is equally likely (no modulo bias), the expected number of draws is below 2,
 * and only high bits are used (the low bits of xoroshiro128+ are its weakest). A range of 1 draws nothing.
 */
export function uniformIntFromWords(rng: RandomGenerator, minInclusive: number, range: number): number {
  if (range === 1) return minInclusive;
  if (range <= TWO_POW_32) {
    const shift = Math.clz32(range - 1);
    let value = rng.nextUint32() >>> shift;
    while (value >= range) value = rng.nextUint32() >>> shift;
    return minInclusive + value;
  }
  let bits = 33;
  while (2 ** bits < range) bits++;
  const divisor = 2 ** (53 - bits);
  let value = Math.floor(int53FromWords(rng.nextUint32(), rng.nextUint32()) / divisor);
  while (value >= range) value = Math.floor(int53FromWords(rng.nextUint32(), rng.nextUint32()) / divisor);
  return minInclusive + value;
}
