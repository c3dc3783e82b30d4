import { describe, expect, it } from 'vitest';
import { gdpDelta, gdpEpsilon } from './gaussian';
import {
  composePlds,
  type DiscretePld,
  discretizeSampledGaussian,
  pldDelta,
  pldEpsilon,
  SupportTooLargeError,
  selfComposePld,
  truncatePld,
} from './pld';

const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

/** Exact hockey-stick of one step of the sampled Gaussian (removal pair) by quadrature of the density. */
function exactRemoveDelta(q: number, sigma: number, epsilon: number): number {
  // delta = integral of (P - e^eps Q)_+ dx, P = (1-q) N(0) + q N(1), Q = N(0); simple fine trapezoid rule.
  const pdf = (x: number, m: number) =>
    Math.exp(-((x - m) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
  let total = 0;
  const h = sigma / 2000;
  for (let x = -12 * sigma; x < 1 + 12 * sigma; x += h) {
    const v = (1 - q) * pdf(x, 0) + q * pdf(x, 1) - Math.exp(epsilon) * pdf(x, 0);
    if (v > 0) total += v * h;
  }
  return total;
}

describe('discretizeSampledGaussian', () => {
  it('conserves probability and keeps E[e^{-loss}] <= 1 (a valid PLD)', () => {
    for (const [q, sigma] of [
      [0.01, 1],
      [0.3, 0.7],
      [1, 2],
    ] as const) {
      const { remove, add } = discretizeSampledGaussian(q, sigma, 1e-3, 1e-14);
      for (const pld of [remove, add]) {
        expect(Math.abs(sum(pld.probs) + pld.infinityMass - 1)).toBeLessThan(1e-11);
        let expectation = 0;
        pld.probs.forEach((p, i) => {
          expectation += p * Math.exp(-(pld.offset + i) * pld.interval);
        });
        expect(expectation).toBeLessThanOrEqual(1 + 1e-12);
      }
    }
  });

  it('upper-bounds the exact single-step hockey-stick curve, tightly', () => {
    const q = 0.2;
    const sigma = 0.9;
    const { remove } = discretizeSampledGaussian(q, sigma, 1e-3, 1e-16);
    for (const epsilon of [0, 0.05, 0.2, 0.5, 1, 2]) {
      const exact = exactRemoveDelta(q, sigma, epsilon);
      const discrete = pldDelta(remove, epsilon);
      expect(discrete).toBeGreaterThanOrEqual(exact * (1 - 1e-6));
      expect(discrete).toBeLessThan(exact * 1.001 + 1e-12);
    }
  });

  it('matches the exact Gaussian curve for q = 1 in both directions', () => {
    const sigma = 1.3;
    const { remove, add } = discretizeSampledGaussian(1, sigma, 1e-4, 1e-16, 1 << 18);
    for (const epsilon of [0, 0.5, 1, 3]) {
      const exact = gdpDelta(1 / sigma, epsilon);
      for (const pld of [remove, add]) {
        expect(pldDelta(pld, epsilon)).toBeGreaterThanOrEqual(exact);
        expect(pldDelta(pld, epsilon)).toBeLessThan(exact * (1 + 1e-6) + 1e-15);
      }
    }
  });

  it('refuses a grid larger than maxSupport', () => {
    expect(() => discretizeSampledGaussian(0.5, 0.05, 1e-5, 1e-15, 1 << 12)).toThrow(SupportTooLargeError);
  });
});

describe('composition', () => {
  it('self-composition of a Gaussian PLD matches exact mu-GDP and stays above it', () => {
    const sigma = 4;
    const steps = 200;
    const { remove } = discretizeSampledGaussian(1, sigma, 1e-4, 1e-18);
    const composed = selfComposePld(remove, steps, 1e-16, 1 << 21);
    const mu = Math.sqrt(steps) / sigma;
    for (const delta of [1e-3, 1e-6, 1e-10]) {
      const exact = gdpEpsilon(mu, delta);
      const got = pldEpsilon(composed, delta);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got - exact).toBeLessThan(1e-3 * exact);
    }
  });

  it('self-composition equals repeated direct convolution on a small case', () => {
    const pld: DiscretePld = {
      interval: 0.1,
      offset: -2,
      probs: new Float64Array([0.1, 0.2, 0.3, 0.25, 0.1]),
      infinityMass: 0.05,
    };
    let direct = pld;
    for (let i = 1; i < 6; i++) direct = composePlds(direct, pld, 1 << 12);
    const viaPower = selfComposePld(pld, 6, 1e-30, 1 << 12);
    expect(viaPower.infinityMass).toBeCloseTo(direct.infinityMass, 12);
    for (const epsilon of [0, 0.3, 0.7, 1.5, 2.5]) {
      expect(pldDelta(viaPower, epsilon)).toBeCloseTo(pldDelta(direct, epsilon), 12);
    }
  });

  it('truncation is pessimistic', () => {
    const pld: DiscretePld = {
      interval: 0.5,
      offset: -1,
      probs: new Float64Array([1e-9, 0.5, 0.5 - 2e-9, 1e-9]),
      infinityMass: 0,
    };
    const truncated = truncatePld(pld, 1e-8);
    expect(truncated.probs.length).toBe(2);
    for (const epsilon of [0, 0.25, 0.5, 1])
      expect(pldDelta(truncated, epsilon)).toBeGreaterThanOrEqual(pldDelta(pld, epsilon));
  });
});

describe('pldEpsilon', () => {
  it('inverts pldDelta exactly and never goes below 0', () => {
    const pld: DiscretePld = {
      interval: 0.25,
      offset: -3,
      probs: new Float64Array([0.2, 0.2, 0.2, 0.2, 0.1, 0.05, 0.04]),
      infinityMass: 0.01,
    };
    for (const delta of [0.011, 0.02, 0.05, 0.07]) {
      const epsilon = pldEpsilon(pld, delta);
      expect(pldDelta(pld, epsilon)).toBeCloseTo(delta, 14);
    }
    expect(pldEpsilon(pld, 0.009)).toBe(Number.POSITIVE_INFINITY);
    expect(pldEpsilon(pld, 0.9)).toBe(0);
  });
});
