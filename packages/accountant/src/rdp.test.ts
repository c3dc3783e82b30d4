import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/rdp-reference.json';
import {
  DEFAULT_RDP_ORDERS,
  logAFractionalOrder,
  logAIntegerOrder,
  OPACUS_RDP_ORDERS,
  rdpSampledGaussian,
  rdpToDelta,
  rdpToEpsilon,
} from './rdp';

describe('RDP of the subsampled Gaussian', () => {
  it('matches high-precision numerical integration of A_alpha at integer and fractional orders', () => {
    let worst = 0;
    for (const { sampleRate, noiseMultiplier, order, logA, rdp } of reference.logA) {
      const got = rdpSampledGaussian(sampleRate, noiseMultiplier, order);
      const label = `q=${sampleRate} sigma=${noiseMultiplier} alpha=${order}`;
      // Compared on log A = (alpha - 1) RDP: never below the reference beyond rounding, and within
      // 2e-11 absolute + 1e-10 relative (the series stops, adding its remainder bound, at 1e-11; A_alpha = 1 + tiny near alpha = 1 or q -> 0 cannot be
      // resolved better than a few ulps of 1 in double precision).
      const gotLogA = got * (order - 1);
      expect(gotLogA, label).toBeGreaterThanOrEqual(logA - 1e-15 - 1e-12 * logA);
      expect(Math.abs(gotLogA - logA), label).toBeLessThanOrEqual(2e-11 + 1e-10 * logA);
      if (logA > 1e-3) worst = Math.max(worst, Math.abs(got - rdp) / rdp);
    }
    expect(worst).toBeLessThan(2e-8);
  });

  it('sums the fractional series with signs (an absolute-value sum would be far above)', () => {
    // At alpha = 1.5, q = 0.5, sigma = 0.8 the reference log A is known; the series must agree with it.
    const entry = reference.logA.find(
      (e) => e.sampleRate === 0.5 && e.noiseMultiplier === 0.8 && e.order === 1.5,
    );
    expect(entry).toBeDefined();
    expect(logAFractionalOrder(0.5, 0.8, 1.5)).toBeCloseTo(entry!.logA, 10);
  });

  it('integer orders agree with the fractional series evaluated at the same order', () => {
    for (const [q, sigma, order] of [
      [0.01, 1, 4],
      [0.2, 0.7, 3],
      [0.5, 2, 10],
    ] as const) {
      // The fractional code path at an integer order is a different expansion of the same integral.
      expect(logAFractionalOrder(q, sigma, order + 1e-9)).toBeCloseTo(logAIntegerOrder(q, sigma, order), 7);
    }
  });

  it('gives alpha / (2 sigma^2) without sampling and 0 at rate 0', () => {
    expect(rdpSampledGaussian(1, 2, 3)).toBe(3 / 8);
    expect(rdpSampledGaussian(0, 2, 3)).toBe(0);
  });
});

describe('RDP to (epsilon, delta)', () => {
  it("reproduces Opacus' anchors on Opacus' order grid", () => {
    for (const { sampleRate, noiseMultiplier, steps, delta, epsilon } of reference.opacusAnchors) {
      const rdp = OPACUS_RDP_ORDERS.map(
        (order) => steps * rdpSampledGaussian(sampleRate, noiseMultiplier, order),
      );
      const got = rdpToEpsilon(OPACUS_RDP_ORDERS, rdp, delta);
      expect(got).toBeGreaterThanOrEqual(epsilon - 1e-12);
      expect(got - epsilon).toBeLessThan(1e-7);
    }
    // q = 0.04, sigma = 1.5, 2250 steps, delta = 1e-5: Opacus reports 7.3291.
    expect(reference.opacusAnchors[0]!.epsilon).toBeCloseTo(7.3291, 4);
  });

  it('the default (richer) grid never gives more than the Opacus grid', () => {
    for (const [q, sigma, steps] of [
      [0.04, 1.5, 2250],
      [0.001, 0.8, 100000],
      [0.3, 5, 10],
    ] as const) {
      const epsilonOn = (orders: readonly number[]) =>
        rdpToEpsilon(
          orders,
          orders.map((order) => steps * rdpSampledGaussian(q, sigma, order)),
          1e-6,
        );
      expect(epsilonOn(DEFAULT_RDP_ORDERS)).toBeLessThanOrEqual(epsilonOn(OPACUS_RDP_ORDERS));
    }
  });

  it('the classic conversion is looser than the tight one', () => {
    const rdp = OPACUS_RDP_ORDERS.map((order) => 2250 * rdpSampledGaussian(0.04, 1.5, order));
    const tight = rdpToEpsilon(OPACUS_RDP_ORDERS, rdp, 1e-5, 'tight');
    const classic = rdpToEpsilon(OPACUS_RDP_ORDERS, rdp, 1e-5, 'classic');
    expect(classic).toBeGreaterThan(tight + 0.5);
    expect(rdpToDelta(OPACUS_RDP_ORDERS, rdp, classic, 'classic')).toBeCloseTo(1e-5, 15);
  });

  it('clamps epsilon at 0 and delta at 1', () => {
    expect(rdpToEpsilon([2], [1e-12], 0.5)).toBe(0);
    expect(rdpToDelta([2, 3], [50, 75], 0)).toBe(1);
  });
});
