import { SecureRandom, SeededRandom } from '@cnm/sampler';
import { describe, expect, it } from 'vitest';
import { type NoiseRandomness, noiseGenerator } from './noise-randomness';

describe('noiseGenerator', () => {
  it("'secure' gives a secure generator, { seed } the seeded stream of that seed", () => {
    const secure = noiseGenerator('random', 'secure');
    expect(secure).toBeInstanceOf(SecureRandom);
    expect(secure.isSecure).toBe(true);
    const seeded = noiseGenerator('random', { seed: 7 });
    expect(seeded.isSecure).toBe(false);
    expect(seeded.nextUint32()).toBe(SeededRandom.fromSeed(7).nextUint32());
    expect(noiseGenerator('random', { seed: 7n }).nextUint32()).toBe(SeededRandom.fromSeed(7n).nextUint32());
  });

  it('refuses { seed, secure: true } (and secure: false) as contradictory', () => {
    for (const secure of [true, false]) {
      const random = { seed: 3, secure } as unknown as NoiseRandomness;
      expect(() => noiseGenerator('random', random)).toThrow(/contradictory.*never secure/);
    }
  });

  it('refuses unknown keys, other strings and non-objects, naming the option', () => {
    expect(() => noiseGenerator('noise.random', { seed: 1, sed: 2 } as unknown as NoiseRandomness)).toThrow(
      /noise.random has unknown option\(s\) sed/,
    );
    expect(() => noiseGenerator('random', {} as NoiseRandomness)).toThrow(/'secure' or \{ seed/);
    expect(() => noiseGenerator('random', 'fast' as 'secure')).toThrow(/got 'fast'/);
    expect(() => noiseGenerator('random', null as unknown as 'secure')).toThrow(/random must be/);
    expect(() => noiseGenerator('random', [1] as unknown as 'secure')).toThrow(/random must be/);
    expect(() => noiseGenerator('random', { seed: -1 })).toThrow(/seed/);
  });
});
