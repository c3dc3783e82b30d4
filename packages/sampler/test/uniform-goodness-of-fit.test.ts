import { describe, expect, it } from 'vitest';
import { SecureRandom } from '../src/secure-random';
import { SeededRandom } from '../src/seeded-random';
import { chiSquareTest, ksUniform } from './statistics';

/**
 * Goodness of fit of the uniform outputs.
 * Seeded generators: fixed seeds, significance level ALPHA = 0.001 (deterministic outcome).
 * SecureRandom: fresh randomness on every run, so a stricter SECURE_ALPHA = 1e-6 keeps false alarms negligible.
 */
const ALPHA = 0.001;
const SECURE_ALPHA = 1e-6;

function floatBinCounts(next: () => number, draws: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < draws; i++) counts[Math.floor(next() * bins)]!++;
  return counts;
}

describe('uniform outputs', () => {
  it.each([1, 2024])('nextFloat64 passes chi-square (100 bins) and KS at alpha = 0.001, seed %i', (seed) => {
    const rng = SeededRandom.fromSeed(seed);
    const draws = 100_000;
    const counts = floatBinCounts(() => rng.nextFloat64(), draws, 100);
    expect(chiSquareTest(counts, new Array(100).fill(draws / 100)).pValue).toBeGreaterThan(ALPHA);
    const sample = Array.from({ length: 20_000 }, () => rng.nextFloat64());
    expect(ksUniform(sample).pValue).toBeGreaterThan(ALPHA);
  });

  it('the low byte, high byte and low bit of nextUint32 are uniform (chi-square, alpha = 0.001)', () => {
    const rng = SeededRandom.fromSeed(77);
    const low = new Array<number>(256).fill(0);
    const high = new Array<number>(256).fill(0);
    const bit = [0, 0];
    const draws = 256_000;
    for (let i = 0; i < draws; i++) {
      const w = rng.nextUint32();
      low[w & 0xff]!++;
      high[w >>> 24]!++;
      bit[w & 1]!++;
    }
    expect(chiSquareTest(low, new Array(256).fill(draws / 256)).pValue).toBeGreaterThan(ALPHA);
    expect(chiSquareTest(high, new Array(256).fill(draws / 256)).pValue).toBeGreaterThan(ALPHA);
    expect(chiSquareTest(bit, [draws / 2, draws / 2]).pValue).toBeGreaterThan(ALPHA);
  });

  it('nextInt over a range that does not divide 2^32 is uniform (chi-square, alpha = 0.001)', () => {
    const rng = SeededRandom.fromSeed(5);
    const range = 7;
    const draws = 70_000;
    const counts = new Array<number>(range).fill(0);
    for (let i = 0; i < draws; i++) counts[rng.nextInt(0, range)]!++;
    expect(chiSquareTest(counts, new Array(range).fill(draws / range)).pValue).toBeGreaterThan(ALPHA);
  });

  it('the chi-square test detects a modulo-biased generator (power check of the test itself)', () => {
    // Modulo reduction of a 3-bit source onto 5 values: 0..2 twice as likely as 3..4.
    const rng = SeededRandom.fromSeed(5);
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[(rng.nextUint32() & 7) % 5]!++;
    expect(chiSquareTest(counts, new Array(5).fill(1000)).pValue).toBeLessThan(ALPHA);
  });

  it('SecureRandom nextFloat64 and nextInt are uniform (alpha = 1e-6)', () => {
    const rng = new SecureRandom();
    const draws = 50_000;
    const counts = floatBinCounts(() => rng.nextFloat64(), draws, 50);
    expect(chiSquareTest(counts, new Array(50).fill(draws / 50)).pValue).toBeGreaterThan(SECURE_ALPHA);
    const ints = new Array<number>(6).fill(0);
    for (let i = 0; i < 30_000; i++) ints[rng.nextInt(10, 16) - 10]!++;
    expect(chiSquareTest(ints, new Array(6).fill(5000)).pValue).toBeGreaterThan(SECURE_ALPHA);
  });
});
