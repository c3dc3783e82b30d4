import { fillGaussian, SecureRandom, SeededRandom } from '@cnm/sampler';
import { describe, expect, it } from 'vitest';
import { AdaptiveClipNorm, clipFactor, clippingSensitivity, validateClipping } from './clipping';

describe('clipFactor and sensitivity', () => {
  it('caps at 1 and scales larger norms down to the threshold', () => {
    expect(clipFactor(0, 1)).toBe(1);
    expect(clipFactor(0.5, 1)).toBe(1);
    expect(clipFactor(4, 2) * 4).toBeCloseTo(2, 5);
  });
  it('per-layer sensitivity is the root of the summed squared thresholds', () => {
    expect(clippingSensitivity({ mode: 'perLayer', thresholds: { a: 3, b: 4 } })).toBe(5);
    expect(clippingSensitivity({ mode: 'flat', maxGradNorm: 0.7 })).toBe(0.7);
  });
  it('rejects bad options with the field name', () => {
    expect(() => validateClipping({ mode: 'flat', maxGradNorm: 0 })).toThrow(/clipping.maxGradNorm/);
    expect(() => validateClipping({ mode: 'flat', maxGradNorm: Number.NaN })).toThrow(RangeError);
    expect(() => validateClipping({ mode: 'perLayer', thresholds: {} })).toThrow(/at least one layer/);
    expect(() => validateClipping({ mode: 'perLayer', thresholds: { d: -1 } })).toThrow(/thresholds\["d"\]/);
    expect(() => validateClipping({ mode: 'nope' } as never)).toThrow(TypeError);
  });
});

describe('AdaptiveClipNorm (Andrew et al. 2021, geometric update)', () => {
  it('moves the threshold by exp(-η (b̃ - γ)) with the centred noisy count', () => {
    const noise = [0.3, -1.2];
    let k = 0;
    const state = new AdaptiveClipNorm({
      initialMaxGradNorm: 2,
      targetUnclippedQuantile: 0.6,
      learningRate: 0.5,
      countNoiseStddev: 4,
      expectedBatchSize: 100,
      gaussian: () => noise[k++]!,
    });
    const first = state.update(70, 96);
    const expectedFirst = (70 - 48 + 4 * 0.3) / 100 + 0.5;
    expect(first).toBeCloseTo(expectedFirst, 12);
    expect(state.maxGradNorm).toBeCloseTo(2 * Math.exp(-0.5 * (expectedFirst - 0.6)), 12);
    const before = state.maxGradNorm;
    const second = state.update(10, 100);
    expect(second).toBeCloseTo((10 - 50 - 4.8) / 100 + 0.5, 12);
    expect(state.maxGradNorm).toBeGreaterThan(before); // few unclipped: the threshold grows
    expect(state.countNoiseMultiplier).toBe(8);
  });
  it('converges to the target quantile of a fixed norm distribution without noise', () => {
    const norms = Array.from({ length: 200 }, (_, i) => (i + 1) / 100); // uniform on (0, 2]
    const state = new AdaptiveClipNorm({
      initialMaxGradNorm: 0.1,
      targetUnclippedQuantile: 0.25,
      learningRate: 0.2,
      countNoiseStddev: 1e-12,
      expectedBatchSize: 200,
      gaussian: () => 0,
    });
    for (let t = 0; t < 300; t++) state.update(norms.filter((n) => n <= state.maxGradNorm).length, 200);
    expect(state.maxGradNorm).toBeGreaterThan(0.45);
    expect(state.maxGradNorm).toBeLessThan(0.55);
  });
  it('rejects out-of-range options and counts', () => {
    const base = { initialMaxGradNorm: 1, countNoiseStddev: 1, expectedBatchSize: 10 };
    expect(() => new AdaptiveClipNorm({ ...base, targetUnclippedQuantile: 1 })).toThrow(
      /targetUnclippedQuantile/,
    );
    expect(() => new AdaptiveClipNorm({ ...base, initialMaxGradNorm: 0 })).toThrow(/initialMaxGradNorm/);
    expect(() => new AdaptiveClipNorm({ ...base, countNoiseStddev: 0 })).toThrow(/countNoiseStddev/);
    expect(() => new AdaptiveClipNorm(base).update(11, 10)).toThrow(/unclippedCount/);
  });
  it('draws secure noise by default', () => {
    const state = new AdaptiveClipNorm({ initialMaxGradNorm: 1, countNoiseStddev: 1, expectedBatchSize: 10 });
    const a = state.update(5, 10);
    const b = state.update(5, 10);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).not.toBe(b);
  });
  it('keeps the threshold within [minThreshold, maxThreshold] (Opacus min/max_clipbound)', () => {
    const bounded = new AdaptiveClipNorm({
      initialMaxGradNorm: 1,
      countNoiseStddev: 1e-9,
      expectedBatchSize: 10,
      learningRate: 1,
      minThreshold: 0.5,
      maxThreshold: 1.5,
      gaussian: () => 0,
    });
    for (let t = 0; t < 5; t++) bounded.update(0, 10); // nothing unclipped: grows by e^0.5 a step
    expect(bounded.maxGradNorm).toBe(1.5);
    for (let t = 0; t < 5; t++) bounded.update(10, 10); // all unclipped: shrinks
    expect(bounded.maxGradNorm).toBe(0.5);
    const base = { initialMaxGradNorm: 1, countNoiseStddev: 1, expectedBatchSize: 10 };
    expect(() => new AdaptiveClipNorm({ ...base, minThreshold: 2, maxThreshold: 1 })).toThrow(
      /minThreshold \(2\) must be at most maxThreshold \(1\)/,
    );
    expect(() => new AdaptiveClipNorm({ ...base, minThreshold: 1.5 })).toThrow(
      /initialMaxGradNorm must be in \[minThreshold, maxThreshold\]/,
    );
    expect(() => new AdaptiveClipNorm({ ...base, maxThreshold: 0 })).toThrow(/maxThreshold/);
    // Default bounds: 10⁶ either side of the initial threshold, kept consistent with a bound that is given.
    const free = new AdaptiveClipNorm({ ...base, initialMaxGradNorm: 2 });
    expect([free.minThreshold, free.maxThreshold]).toEqual([2e-6, 2e6]);
    const low = new AdaptiveClipNorm({ ...base, initialMaxGradNorm: 2, maxThreshold: 2 });
    expect([low.minThreshold, low.maxThreshold]).toEqual([2e-6, 2]);
    const shrinking = new AdaptiveClipNorm({
      ...base,
      countNoiseStddev: 1e-9,
      learningRate: 5,
      gaussian: () => 0,
    });
    for (let t = 0; t < 20; t++) shrinking.update(10, 10);
    expect(shrinking.maxGradNorm).toBe(1e-6);
  });
  it('draws the count noise from a given generator: N(0, σ_b²) of fillGaussian, and bit-exact after restore', () => {
    const options = { initialMaxGradNorm: 1, countNoiseStddev: 3, expectedBatchSize: 10 };
    const state = new AdaptiveClipNorm({ ...options, random: SeededRandom.fromSeed(5) });
    const replay = SeededRandom.fromSeed(5);
    const draw = new Float64Array(1);
    fillGaussian(draw, 3, replay);
    expect(state.update(4, 10)).toBe((4 - 5 + (draw[0] as number)) / 10 + 0.5);
    const saved = state.exportState();
    expect(saved.updates).toBe(1);
    const straight = [1, 2, 3].map((c) => state.update(c, 10));
    const resumed = new AdaptiveClipNorm({ ...options, random: SeededRandom.fromSeed(99) });
    resumed.restoreState(saved);
    expect([1, 2, 3].map((c) => resumed.update(c, 10))).toEqual(straight);
    expect(resumed.maxGradNorm).toBe(state.maxGradNorm);
    // Mismatched generators and out-of-range thresholds are refused before anything changes.
    const secure = new AdaptiveClipNorm({ ...options, random: new SecureRandom() });
    expect(() => secure.restoreState(saved)).toThrow(/state.random must be null/);
    expect(secure.exportState().random).toBeNull();
    expect(() => resumed.restoreState({ ...saved, maxGradNorm: -1 })).toThrow(/state.maxGradNorm/);
    expect(() => resumed.restoreState({ ...saved, random: null })).toThrow(/SeededRandom state/);
    expect(resumed.updates).toBe(4);
    expect(() => new AdaptiveClipNorm({ ...options, random: new SecureRandom(), gaussian: () => 0 })).toThrow(
      /not both/,
    );
  });
});
