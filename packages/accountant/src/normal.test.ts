import { describe, expect, it } from 'vitest';
import { logErfc, logNormalSf, normalMass, normalSf, normalSfInverse } from './normal';

describe('normal tails', () => {
  it('matches known values', () => {
    expect(normalSf(0)).toBe(0.5);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 15);
    // P(Z > 40) underflows; its log is -800 - ln(40 sqrt(2 pi)) - 1/1600 + ... = -804.6084...
    expect(logNormalSf(40)).toBeCloseTo(Math.log(0.5) + logErfc(40 / Math.SQRT2), 10);
    expect(logNormalSf(40)).toBeCloseTo(-804.6084, 3);
    expect(Math.exp(logNormalSf(5))).toBeCloseTo(2.866515718791939e-7, 20);
  });
  it('computes interval masses without cancellation in the tails', () => {
    const mass = normalMass(8, 8.0001);
    const direct = (1e-4 * Math.exp(-(8.00005 ** 2) / 2)) / Math.sqrt(2 * Math.PI);
    expect(Math.abs(mass / direct - 1)).toBeLessThan(1e-6);
    expect(normalMass(-1, 1)).toBeCloseTo(0.6826894921370859, 14);
    expect(normalMass(-8.0001, -8)).toBeCloseTo(mass, 25);
  });
  it('inverts the tail', () => {
    for (const p of [0.5, 0.1, 1e-5, 1e-20, 1e-200]) {
      expect(Math.abs(logNormalSf(normalSfInverse(p)) - Math.log(p))).toBeLessThan(1e-9);
    }
  });
});
