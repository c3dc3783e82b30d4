import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/ziggurat.json' with { type: 'json' };
import { fillGaussian, sampleStandardNormal, zigguratTables } from './gaussian';
import { SeededRandom } from './seeded-random';

describe('ziggurat tables', () => {
  it('r and v equal the mpmath values', () => {
    expect(zigguratTables.r).toBe(Number(reference.r));
    expect(zigguratTables.v).toBe(Number(reference.v));
  });

  it('the layer edges built at module load match the 60-digit reference', () => {
    expect(zigguratTables.x.length).toBe(reference.x.length);
    reference.x.forEach((expected, i) => {
      const actual = zigguratTables.x[i]!;
      if (expected === 0) expect(actual).toBe(0);
      else expect(Math.abs(actual - expected) / expected).toBeLessThan(1e-11);
    });
  });

  it('every layer has area v (the top one closes)', () => {
    const { x, v, layers } = zigguratTables;
    const f = (t: number) => Math.exp(-0.5 * t * t);
    for (let i = 1; i < layers; i++) {
      const area = x[i]! * (f(x[i + 1]!) - f(x[i]!));
      expect(Math.abs(area - v) / v).toBeLessThan(1e-9);
    }
  });
});

describe('fillGaussian', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Float64Array(1000);
    const b = new Float64Array(1000);
    const c = new Float64Array(1000);
    fillGaussian(a, 1, SeededRandom.fromSeed(4));
    fillGaussian(b, 1, SeededRandom.fromSeed(4));
    fillGaussian(c, 1, SeededRandom.fromSeed(5));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('continues exactly after the generator state is exported and restored', () => {
    const rng = SeededRandom.fromSeed(8);
    fillGaussian(new Float64Array(123), 1, rng);
    const saved = rng.exportState();
    const expected = new Float64Array(5000);
    fillGaussian(expected, 2, rng, { secure: true });
    const resumed = new Float64Array(5000);
    fillGaussian(resumed, 2, SeededRandom.fromState(saved), { secure: true });
    expect(resumed).toEqual(expected);
  });

  it('scales by the standard deviation and rounds once into a Float32Array', () => {
    const unit = new Float64Array(10_000);
    const scaled = new Float64Array(10_000);
    const single = new Float32Array(10_000);
    fillGaussian(unit, 1, SeededRandom.fromSeed(2));
    fillGaussian(scaled, 2.5, SeededRandom.fromSeed(2));
    fillGaussian(single, 2.5, SeededRandom.fromSeed(2));
    for (let i = 0; i < unit.length; i++) {
      expect(scaled[i]).toBe(unit[i]! * 2.5);
      expect(single[i]).toBe(Math.fround(unit[i]! * 2.5));
    }
  });

  it('fast path values are the documented function of two words', () => {
    const rng = SeededRandom.fromSeed(21);
    const words = new Uint32Array(2);
    rng.clone().fillUint32(words);
    const [high, low] = [words[0]!, words[1]!];
    const layer = high >>> 24;
    const u = (low * 2 ** 21 + ((high >>> 2) & 0x1fffff)) * 2 ** -53;
    const { x } = zigguratTables;
    // Seed 21 starts inside the inner rectangle, so no rejection draws are involved.
    expect(u).toBeLessThan(x[layer + 1]! / x[layer]!);
    const out = new Float64Array(1);
    fillGaussian(out, 1, rng);
    expect(out[0]).toBe((high & 0x800000) !== 0 ? -u * x[layer]! : u * x[layer]!);
  });

  it('secure mode averages four draws: same variance, different values from the fast mode', () => {
    const fast = new Float64Array(64);
    const secure = new Float64Array(64);
    fillGaussian(fast, 1, SeededRandom.fromSeed(6));
    fillGaussian(secure, 1, SeededRandom.fromSeed(6), { secure: true });
    expect(secure).not.toEqual(fast);
  });

  it('sampleStandardNormal gives finite values, some beyond the tail start r', () => {
    const rng = SeededRandom.fromSeed(10);
    let beyond = 0;
    for (let i = 0; i < 20_000; i++) {
      const z = sampleStandardNormal(rng);
      expect(Number.isFinite(z)).toBe(true);
      if (Math.abs(z) > zigguratTables.r) beyond++;
    }
    // P(|Z| > 3.654) ≈ 2.58e-4: about 5 expected in 20,000 draws.
    expect(beyond).toBeGreaterThan(0);
  });

  it('handles empty arrays and a zero standard deviation without drawing', () => {
    const rng = SeededRandom.fromSeed(1);
    const before = rng.exportState();
    fillGaussian(new Float32Array(0), 1, rng);
    const zeros = new Float32Array(5).fill(7);
    fillGaussian(zeros, 0, rng);
    expect([...zeros]).toEqual([0, 0, 0, 0, 0]);
    expect(rng.exportState()).toEqual(before);
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])(
    'rejects standardDeviation %s naming the range',
    (sd) => {
      expect(() => fillGaussian(new Float64Array(3), sd, SeededRandom.fromSeed(1))).toThrow(
        /standardDeviation must be a finite number in \[0, Infinity\)/,
      );
    },
  );

  it('rejects other array types and a missing generator', () => {
    const rng = SeededRandom.fromSeed(1);
    expect(() => fillGaussian(new Int32Array(3) as unknown as Float64Array, 1, rng)).toThrow(TypeError);
    expect(() => fillGaussian(new Float64Array(3), 1, undefined as unknown as SeededRandom)).toThrow(
      /rng must be a RandomGenerator/,
    );
  });
});
