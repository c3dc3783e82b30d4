import {
  checkIntRange,
  float64FromWords,
  type RandomGenerator,
  uniformIntFromWords,
} from './random-generator';

/** `crypto.getRandomValues` fills at most 65,536 bytes per call (Web Crypto spec, QuotaExceededError beyond). */
const MAX_WORDS_PER_CALL = 65_536 / 4;

interface RandomValuesSource {
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

/**
 * A cryptographically secure generator over `globalThis.crypto.getRandomValues` (the operating system's CSPRNG in
 * Node.js and browsers). Words are fetched in blocks of 64 KiB (the per-call maximum of `getRandomValues`) and
 * served from a buffer; large {@link fillUint32} requests are filled directly.
 *
 * It has no seed and no exportable state: its output cannot be reproduced, which is the point. Use it for the
 * noise and the batch sampling of a real private training run.
 */
export class SecureRandom implements RandomGenerator {
  /** {@inheritDoc RandomGenerator.isSecure} */
  readonly isSecure = true;
  private readonly source: RandomValuesSource;
  private readonly buffer = new Uint32Array(MAX_WORDS_PER_CALL);
  private position = MAX_WORDS_PER_CALL;

  /** @throws TypeError when `globalThis.crypto.getRandomValues` is not available (Node.js < 19 without a flag). */
  constructor() {
    const source = (globalThis as { crypto?: RandomValuesSource }).crypto;
    if (source === undefined || typeof source.getRandomValues !== 'function') {
      throw new TypeError(
        'SecureRandom needs globalThis.crypto.getRandomValues (Node.js >= 20 or a browser)',
      );
    }
    this.source = source;
  }

  private refill(): void {
    this.source.getRandomValues(this.buffer);
    this.position = 0;
  }

  /** {@inheritDoc RandomGenerator.nextUint32} */
  nextUint32(): number {
    if (this.position === MAX_WORDS_PER_CALL) this.refill();
    return this.buffer[this.position++]!;
  }

  /** {@inheritDoc RandomGenerator.nextFloat64} */
  nextFloat64(): number {
    const high = this.nextUint32();
    return float64FromWords(high, this.nextUint32());
  }

  /** {@inheritDoc RandomGenerator.nextInt} */
  nextInt(minInclusive: number, maxExclusive: number): number {
    return uniformIntFromWords(this, minInclusive, checkIntRange(minInclusive, maxExclusive));
  }

  /** Fills `out` with secure random words: small requests from the buffer, large ones straight from the OS. */
  fillUint32(out: Uint32Array): void {
    const length = out.length;
    const available = MAX_WORDS_PER_CALL - this.position;
    if (length <= available) {
      out.set(this.buffer.subarray(this.position, this.position + length));
      this.position += length;
      return;
    }
    for (let start = 0; start < length; start += MAX_WORDS_PER_CALL) {
      this.source.getRandomValues(out.subarray(start, Math.min(start + MAX_WORDS_PER_CALL, length)));
    }
  }
}
