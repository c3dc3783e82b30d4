import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import {
  checkIntRange,
  float64FromWords,
  type RandomGenerator,
  uniformIntFromWords,
} from './random-generator';

/**
 * The complete state of a {@link SeededRandom}: a plain, JSON-serialisable object. Restoring it with
 * {@link SeededRandom.fromState} (or {@link SeededRandom.restoreState}) continues the stream bit for bit.
 */
export interface SeededRandomState {
  /** The generator algorithm; only `'xoroshiro128plus'` exists today. */
  readonly algorithm: 'xoroshiro128plus';
  /** The 128-bit xoroshiro128+ state as four signed 32-bit integers, in pure-rand's `getState()` order. */
  readonly state: readonly number[];
}

const MASK_64 = (1n << 64n) - 1n;

/** SplitMix64 step (Steele, Lea & Flood 2014), the seeding procedure the xoroshiro authors recommend. */
function splitMix64(counter: bigint): { next: bigint; output: bigint } {
  const next = (counter + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return { next, output: z ^ (z >> 31n) };
}

function toInt32(word: bigint): number {
  return Number(BigInt.asIntN(32, word));
}

function assertSeed(seed: number | bigint): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > MASK_64) {
      throw new RangeError(`seed must be an integer in [0, 2^64 - 1], got ${seed.toString()}`);
    }
    return seed;
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `seed must be an integer in [0, ${Number.MAX_SAFE_INTEGER}] (or a bigint in [0, 2^64 - 1]), got ${String(seed)}`,
    );
  }
  return BigInt(seed);
}

function assertState(state: SeededRandomState): readonly number[] {
  if (typeof state !== 'object' || state === null || state.algorithm !== 'xoroshiro128plus') {
    throw new TypeError("state must be a SeededRandomState with algorithm 'xoroshiro128plus'");
  }
  const words = state.state;
  if (!Array.isArray(words) || words.length !== 4) {
    throw new TypeError('state.state must be an array of 4 signed 32-bit integers');
  }
  for (const word of words) {
    if (!Number.isInteger(word) || word < -(2 ** 31) || word >= 2 ** 31) {
      throw new RangeError(`state.state entries must be integers in [-2^31, 2^31 - 1], got ${String(word)}`);
    }
  }
  if (words.every((word) => word === 0)) {
    throw new RangeError('state.state must not be all zero (xoroshiro128+ would output zeros forever)');
  }
  return words;
}

/**
 * A fast, reproducible generator: xoroshiro128+ (Blackman & Vigna) from the `pure-rand` library, with the
 * 128-bit state seeded through SplitMix64. Its full state can be exported as plain JSON and restored, so a
 * resumed training run continues exactly the same stream.
 *
 * Use it for experiments and tests. For a real privacy guarantee the noise must be unpredictable: use
 * {@link SecureRandom} there.
 *
 * @example
 * ```ts
 * const rng = SeededRandom.fromSeed(42);
 * const saved = rng.exportState();
 * const a = rng.nextFloat64();
 * const b = SeededRandom.fromState(saved).nextFloat64(); // a === b
 * ```
 */
export class SeededRandom implements RandomGenerator {
  /** Always false: a seeded stream is reproducible, hence never secure (see {@link RandomGenerator.isSecure}). */
  readonly isSecure = false;
  private generator: JumpableRandomGenerator;

  private constructor(generator: JumpableRandomGenerator) {
    this.generator = generator;
  }

  /**
   * Creates a generator from a seed: a safe non-negative integer, or a bigint in `[0, 2^64)`. Equal seeds give
   * equal streams; the seed is expanded to the 128-bit state with SplitMix64.
   */
  static fromSeed(seed: number | bigint): SeededRandom {
    let counter = assertSeed(seed);
    const words: number[] = [];
    for (let i = 0; i < 2; i++) {
      const step = splitMix64(counter);
      counter = step.next;
      words.push(toInt32(step.output >> 32n), toInt32(step.output));
    }
    // pure-rand orders its state as (s0 high, s0 low, s1 high, s1 low).
    return new SeededRandom(xoroshiro128plusFromState(words));
  }

  /** Re-creates a generator from {@link SeededRandom.exportState} output; it continues the stream bit for bit. */
  static fromState(state: SeededRandomState): SeededRandom {
    return new SeededRandom(xoroshiro128plusFromState(assertState(state)));
  }

  /** Returns the complete state as a plain JSON-serialisable object. */
  exportState(): SeededRandomState {
    return { algorithm: 'xoroshiro128plus', state: [...this.generator.getState()] };
  }

  /** Replaces this generator's state in place (used by samplers that resume from a checkpoint). */
  restoreState(state: SeededRandomState): void {
    this.generator = xoroshiro128plusFromState(assertState(state));
  }

  /** Returns an independent copy at the same position: both produce the same stream from now on. */
  clone(): SeededRandom {
    return new SeededRandom(this.generator.clone());
  }

  /**
   * Returns a new generator 2^64 draws ahead of this one (xoroshiro128+'s jump function), leaving this one
   * unchanged: a non-overlapping sub-stream, e.g. one for batch sampling and one for noise.
   */
  jumped(): SeededRandom {
    const copy = this.generator.clone();
    copy.jump();
    return new SeededRandom(copy);
  }

  /** {@inheritDoc RandomGenerator.nextUint32} */
  nextUint32(): number {
    return this.generator.next() >>> 0;
  }

  /** {@inheritDoc RandomGenerator.nextFloat64} */
  nextFloat64(): number {
    const high = this.generator.next();
    return float64FromWords(high, this.generator.next());
  }

  /** {@inheritDoc RandomGenerator.nextInt} */
  nextInt(minInclusive: number, maxExclusive: number): number {
    return uniformIntFromWords(this, minInclusive, checkIntRange(minInclusive, maxExclusive));
  }

  /** Fills `out` with the next `out.length` words, exactly as that many {@link nextUint32} calls would. */
  fillUint32(out: Uint32Array): void {
    const generator = this.generator;
    for (let i = 0; i < out.length; i++) out[i] = generator.next();
  }
}
