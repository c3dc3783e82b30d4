import { afterEach, describe, expect, it, vi } from 'vitest';
import { fillGaussian } from './gaussian';
import { SecureRandom } from './secure-random';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Replaces crypto.getRandomValues by a counter pattern, so outputs can be traced back to it. */
function spyWithPattern() {
  let counter = 0;
  return vi
    .spyOn(globalThis.crypto, 'getRandomValues')
    .mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      if (array === null) return array;
      expect(array.byteLength).toBeLessThanOrEqual(65_536);
      const view = new Uint32Array(array.buffer, array.byteOffset, array.byteLength / 4);
      for (let i = 0; i < view.length; i++) view[i] = counter++;
      return array;
    });
}

describe('SecureRandom', () => {
  it('draws its words from crypto.getRandomValues, buffered in 64 KiB blocks', () => {
    const spy = spyWithPattern();
    const rng = new SecureRandom();
    expect(spy).not.toHaveBeenCalled();
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([0, 1, 2]);
    expect(spy).toHaveBeenCalledTimes(1);
    for (let i = 3; i < 16_384; i++) rng.nextUint32();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(rng.nextUint32()).toBe(16_384);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('fills large arrays directly in chunks of at most 65,536 bytes', () => {
    const spy = spyWithPattern();
    const rng = new SecureRandom();
    const out = new Uint32Array(40_000);
    rng.fillUint32(out);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(out[0]).toBe(0);
    expect(out[39_999]).toBe(39_999);
  });

  it('serves small fills from the buffer', () => {
    const spy = spyWithPattern();
    const rng = new SecureRandom();
    rng.nextUint32();
    const out = new Uint32Array(4);
    rng.fillUint32(out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('fillGaussian with a SecureRandom draws from crypto.getRandomValues', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const out = new Float32Array(100_000);
    fillGaussian(out, 1, new SecureRandom(), { secure: true });
    expect(spy).toHaveBeenCalled();
    // 100,000 outputs × 8 words = 800,000 words, at most 16,384 per call.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(Math.ceil(800_000 / 16_384));
  });

  it('produces values in the documented ranges', () => {
    const rng = new SecureRandom();
    for (let i = 0; i < 1000; i++) {
      const u = rng.nextFloat64();
      expect(u >= 0 && u < 1).toBe(true);
      const k = rng.nextInt(-3, 4);
      expect(k >= -3 && k < 4 && Number.isInteger(k)).toBe(true);
      const w = rng.nextUint32();
      expect(w >= 0 && w < 2 ** 32 && Number.isInteger(w)).toBe(true);
    }
    expect(() => rng.nextInt(1, 1)).toThrow(RangeError);
  });

  it('two instances give different streams', () => {
    const a = new SecureRandom();
    const b = new SecureRandom();
    const wordsA = Array.from({ length: 8 }, () => a.nextUint32());
    const wordsB = Array.from({ length: 8 }, () => b.nextUint32());
    expect(wordsA).not.toEqual(wordsB);
  });
});
