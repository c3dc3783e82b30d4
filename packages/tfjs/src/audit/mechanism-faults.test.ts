import { sensitivity } from '@cnm/core';
import { describe, expect, it } from 'vitest';
import type { PrivacyReport } from '../privacy-report';
import { faultyNoise, sensitivityWithoutCrossTerms } from './mechanism-faults';

/** Squared norm of column t of the n x n lower-triangular Toeplitz matrix of c. */
const columnNorm2 = (c: Float64Array, n: number, t: number) => {
  let s = 0;
  for (let i = t; i < n; i++) s += (c[i - t] as number) ** 2;
  return s;
};

describe('sensitivityWithoutCrossTerms', () => {
  it('is the root of the summed squared column norms of the participations, by brute force', () => {
    const c = Float64Array.from({ length: 12 }, (_, j) => 1 / Math.sqrt(j + 1));
    for (const [b, k] of [
      [1, 12],
      [3, 4],
      [4, 2],
      [5, 10],
    ] as const) {
      let total = 0;
      for (let t = 0, i = 0; i < k && t < 12; i++, t += b) total += columnNorm2(c, 12, t);
      expect(sensitivityWithoutCrossTerms(c, 12, b, k)).toBeCloseTo(Math.sqrt(total), 12);
    }
  });

  it('is sqrt(k) for the identity (no cross terms to drop) and below the true sensitivity for a decaying C', () => {
    const identity = new Float64Array(16);
    identity[0] = 1;
    expect(sensitivityWithoutCrossTerms(identity, 16, 4, 4)).toBeCloseTo(2, 12);
    const c = Float64Array.from({ length: 16 }, (_, j) => 0.8 ** j);
    const truth = sensitivity(c, { minSeparation: 2, maxParticipations: 8 });
    expect(sensitivityWithoutCrossTerms(c, 16, 2, 8)).toBeLessThan(truth / 1.5);
  });
});

describe('faultyNoise', () => {
  const report = {
    accounting: 'gaussian',
    noiseSensitivity: 3,
    gradientNoiseMultiplier: 2,
    clipNorm: 0.5,
    run: { totalSteps: 4, stepsPerEpoch: 2, epochs: 2 },
  } as unknown as PrivacyReport;
  const c = Float64Array.from([1, 0.5, 0.25, 0.125]);

  it('leaves the noise alone without a noise fault', () => {
    expect(faultyNoise(undefined, report, c, 1)).toBeUndefined();
    expect(faultyNoise('no-clipping', report, c, 1)).toBeUndefined();
  });

  it('scales the noise to the sensitivity without cross terms', () => {
    const noise = Float64Array.from([1, -2, 3]);
    faultyNoise('dropped-cross-terms', report, c, 1)?.(noise);
    const scale = sensitivityWithoutCrossTerms(c, 4, 2, 2) / 3;
    expect(Array.from(noise)).toEqual([1 * scale, -2 * scale, 3 * scale]);
  });

  it('replaces the noise by i.i.d. draws of standard deviation sigma * zeta', () => {
    const noise = new Float64Array(20000);
    faultyNoise('iid-noise', report, c, 7)?.(noise);
    const mean = noise.reduce((a, b) => a + b) / noise.length;
    const sd = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    // sd = 2 * 0.5 = 1; 20000 draws: standard error of the sd about 0.005.
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    // Consecutive draws uncorrelated.
    let lag = 0;
    for (let i = 1; i < noise.length; i++) lag += (noise[i] as number) * (noise[i - 1] as number);
    expect(Math.abs(lag / noise.length)).toBeLessThan(0.03);
  });

  it('refuses a mode accounted per step', () => {
    const perStep = { ...report, noiseSensitivity: 1 } as PrivacyReport;
    expect(() => faultyNoise('iid-noise', perStep, c, 1)).toThrow(/correlated mode/);
  });
});
