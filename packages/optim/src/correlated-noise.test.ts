import {
  Blt,
  bandedSquareRootStrategy,
  bltStrategy,
  identityStrategy,
  type Strategy,
  singleParameterStrategy,
} from '@cnm/core';
import { fillGaussian, SeededRandom } from '@cnm/sampler';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../test/tfjs-setup';
import { CorrelatedNoise, type NoiseRandomness } from './correlated-noise';

/** The BLT example of the formula notes: theta = (0.95, 0.6, 0.2), omega = (0.05, 0.15, 0.2). */
const exampleBlt = new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]);

const strategies: [string, Strategy][] = [
  ['identity', identityStrategy()],
  ['single-parameter', singleParameterStrategy(0.7)],
  ['BLT', bltStrategy(exampleBlt)],
  ['banded square root', bandedSquareRootStrategy(4)],
];

const base = { noiseMultiplier: 1.3, maxGradNorm: 0.7, sensitivity: 2.5, random: { seed: 42 } } as const;

describe('CorrelatedNoise', () => {
  it.each(strategies)(
    '%s: streamed noise equals materialised s * C^-1 applied to the same draws',
    (_, strategy) => {
      const size = 5;
      const steps = 12;
      const noise = new CorrelatedNoise({ ...base, strategy, size });
      const s = base.noiseMultiplier * base.maxGradNorm * base.sensitivity;
      const replay = SeededRandom.fromSeed(42);
      const draws: Float64Array[] = [];
      const d = strategy.inverseCoefficients(steps);
      for (let t = 0; t < steps; t++) {
        const z = new Float64Array(size);
        fillGaussian(z, s, replay);
        draws.push(z);
        const streamed = noise.next();
        const expected = new Float64Array(size);
        for (let j = 0; j <= t; j++) {
          const coefficient = d[t - j] as number;
          const zj = draws[j] as Float64Array;
          for (let i = 0; i < size; i++)
            expected[i] = (expected[i] as number) + coefficient * (zj[i] as number);
        }
        expect(maxAbsDiff(streamed, expected)).toBeLessThan(1e-12 * Math.max(1, s) * (t + 1));
      }
    },
  );

  it('reproduces the worked example of the notes (C^-1 of the example BLT applied to 1..8)', () => {
    // With sensitivity 1, sigma 1, clip 1 the scale is 1; feed the draws through the stream directly.
    const stream = bltStrategy(exampleBlt).createInverseStream(1);
    const out = [1, 2, 3, 4, 5].map((z) => stream.next(new Float64Array([z]))[0] as number);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(1.6, 12);
    expect(out[2]).toBeCloseTo(2.1825, 12);
    expect(out[3]).toBeCloseTo(2.735875, 12);
    expect(out[4]).toBeCloseTo(3.2699875, 12);
  });

  it.each(strategies)('%s: tracks the variance s^2 * ||row_t(C^-1)||^2 of each step', (_, strategy) => {
    const noise = new CorrelatedNoise({ ...base, strategy, size: 1 });
    const steps = 30;
    const d = strategy.inverseCoefficients(steps);
    const s = base.noiseMultiplier * base.maxGradNorm * base.sensitivity;
    expect(noise.lastVariance).toBe(0);
    let rowNormSquared = 0;
    for (let t = 0; t < steps; t++) {
      noise.next();
      rowNormSquared += (d[t] as number) ** 2;
      expect(noise.lastRowNormSquared).toBeCloseTo(rowNormSquared, 12);
      expect(noise.lastVariance).toBeCloseTo(s * s * rowNormSquared, 10);
    }
  });

  it.each(strategies)(
    '%s: noise covariance across steps is s^2 C^-1 C^-T (5 standard errors per entry)',
    (name, strategy) => {
      // Coordinates are i.i.d. replicates of the n-step noise process. For a zero-mean Gaussian vector the
      // entry (i, j) of the empirical second moment over N replicates has variance
      // (S_ii S_jj + S_ij^2) / N; every one of the 21 entries must lie within 5 of those standard errors
      // (false-alarm probability below 1e-5 for a correct implementation; the seed is fixed anyway).
      const n = 6;
      const replicates = 20_000;
      const noise = new CorrelatedNoise({ ...base, strategy, size: replicates });
      const s = base.noiseMultiplier * base.maxGradNorm * base.sensitivity;
      const samples = Array.from({ length: n }, () => new Float64Array(noise.next()));
      const d = strategy.inverseCoefficients(n);
      const theory = (i: number, j: number) => {
        let acc = 0;
        for (let k = 0; k <= Math.min(i, j); k++) acc += (d[i - k] as number) * (d[j - k] as number);
        return s * s * acc;
      };
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let empirical = 0;
          const a = samples[i] as Float64Array;
          const b = samples[j] as Float64Array;
          for (let r = 0; r < replicates; r++) empirical += (a[r] as number) * (b[r] as number);
          empirical /= replicates;
          const standardError = Math.sqrt((theory(i, i) * theory(j, j) + theory(i, j) ** 2) / replicates);
          expect(Math.abs(empirical - theory(i, j))).toBeLessThan(5 * standardError);
        }
      }
      // For correlated strategies the off-diagonal entries really are non-zero: the test would see
      // independent noise.
      if (name === 'identity') return;
      expect(Math.abs(theory(1, 0))).toBeGreaterThan(
        10 * Math.sqrt((theory(1, 1) * theory(0, 0)) / replicates),
      );
    },
  );

  it.each(strategies)(
    '%s: exports and restores exactly, the continuation equals the uninterrupted run',
    (_, strategy) => {
      const options = { ...base, strategy, size: 7 };
      const uninterrupted = new CorrelatedNoise(options);
      const first = new CorrelatedNoise(options);
      for (let t = 0; t < 5; t++) {
        uninterrupted.next();
        first.next();
      }
      const saved = structuredClone(first.exportState());
      first.next(); // advancing after the export must not change the saved state
      const resumed = new CorrelatedNoise(options);
      resumed.restoreState(saved);
      expect(resumed.step).toBe(5);
      for (let t = 0; t < 6; t++) {
        const expected = new Float64Array(uninterrupted.next());
        expect(resumed.next()).toEqual(expected);
        expect(resumed.lastVariance).toBe(uninterrupted.lastVariance);
      }
    },
  );

  it('in secure mode draws real noise, exports no generator and restores the buffers', () => {
    const options = {
      ...base,
      strategy: singleParameterStrategy(0.5),
      size: 1000,
      random: 'secure' as const,
    };
    const a = new CorrelatedNoise(options);
    const b = new CorrelatedNoise(options);
    const x = new Float64Array(a.next());
    expect(a.secure).toBe(true);
    expect(maxAbsDiff(x, b.next())).toBeGreaterThan(0);
    const sd = Math.sqrt(x.reduce((acc, v) => acc + v * v, 0) / x.length);
    expect(sd).toBeGreaterThan(0.9 * a.standardDeviation);
    expect(sd).toBeLessThan(1.1 * a.standardDeviation);
    const state = a.exportState();
    expect(state.random).toBeNull();
    b.restoreState(state);
    expect(b.step).toBe(1);
    const seeded = new CorrelatedNoise({ ...options, random: { seed: 1 } });
    expect(() => seeded.restoreState(state)).toThrow(/state.random/);
  });

  it('refuses states of another strategy, size or scale and leaves itself untouched', () => {
    const options = { ...base, strategy: bltStrategy(exampleBlt), size: 3 };
    const noise = new CorrelatedNoise(options);
    noise.next();
    const state = noise.exportState();
    const other = new CorrelatedNoise({ ...options, strategy: identityStrategy() });
    expect(() => other.restoreState(state)).toThrow(/state.strategy/);
    expect(() => new CorrelatedNoise({ ...options, size: 4 }).restoreState(state)).toThrow(/state.size/);
    expect(() => new CorrelatedNoise({ ...options, noiseMultiplier: 1 }).restoreState(state)).toThrow(
      /state.standardDeviation/,
    );
    const otherBlt = new CorrelatedNoise({
      ...options,
      strategy: bltStrategy(new Blt([0.9, 0.5, 0.1], [0.1, 0.1, 0.1])),
    });
    expect(otherBlt.strategy.name).toBe(options.strategy.name);
    expect(() => otherBlt.restoreState(state)).toThrow(/state.strategyCoefficients/);
    const target = new CorrelatedNoise(options);
    expect(() => target.restoreState({ ...state, step: 2 })).toThrow(/step/);
    expect(target.step).toBe(0);
  });

  it('rejects bad options with the parameter name', () => {
    const strategy = identityStrategy();
    const ok = { ...base, strategy, size: 3 };
    expect(() => new CorrelatedNoise({ ...ok, noiseMultiplier: -0.1 })).toThrow(/noiseMultiplier/);
    expect(() => new CorrelatedNoise({ ...ok, noiseMultiplier: Number.NaN })).toThrow(/noiseMultiplier/);
    expect(() => new CorrelatedNoise({ ...ok, maxGradNorm: 0 })).toThrow(/maxGradNorm/);
    expect(() => new CorrelatedNoise({ ...ok, sensitivity: 0.5 })).toThrow(/sensitivity must be .* \[1, /);
    expect(() => new CorrelatedNoise({ ...ok, size: 0 })).toThrow(/size/);
    expect(() => new CorrelatedNoise({ ...ok, strategy: {} as Strategy })).toThrow(TypeError);
    expect(() => new CorrelatedNoise({ ...ok, random: 'fast' as 'secure' })).toThrow(/random/);
  });

  it('refuses random: { seed, secure: true } (contradictory) and unknown keys of random', () => {
    const ok = { ...base, strategy: identityStrategy(), size: 3 };
    const contradictory = { seed: 5, secure: true } as unknown as NoiseRandomness;
    expect(() => new CorrelatedNoise({ ...ok, random: contradictory })).toThrow(/contradictory/);
    const typo = { seed: 5, seeed: 6 } as unknown as NoiseRandomness;
    expect(() => new CorrelatedNoise({ ...ok, random: typo })).toThrow(/unknown option\(s\) seeed/);
    expect(new CorrelatedNoise({ ...ok, random: 'secure' }).secure).toBe(true);
    expect(new CorrelatedNoise({ ...ok, random: { seed: 5 } }).secure).toBe(false);
  });

  it('emits zeros with sigma = 0 but still advances', () => {
    const noise = new CorrelatedNoise({
      ...base,
      noiseMultiplier: 0,
      strategy: bltStrategy(exampleBlt),
      size: 4,
    });
    expect([...noise.next()]).toEqual([0, 0, 0, 0]);
    expect(noise.step).toBe(1);
    expect(noise.lastVariance).toBe(0);
    expect(noise.lastRowNormSquared).toBe(1);
  });
  it('a per-step clipping norm rescales the streamed output of step t by stepMaxGradNorm / maxGradNorm', () => {
    // Adaptive clipping: the noise of step t is s * (C_t / C_0) * (C^-1 z)_t, the draws z unchanged, so the
    // buffers hold the same unit draws as a run with a fixed norm.
    const strategy = bltStrategy(exampleBlt);
    const fixed = new CorrelatedNoise({ ...base, strategy, size: 3 });
    const adaptive = new CorrelatedNoise({ ...base, strategy, size: 3 });
    const norms = [0.7, 1.4, 0.35, 2.1, 0.7];
    for (const norm of norms) {
      const reference = Float64Array.from(fixed.next(), (v) => (v * norm) / base.maxGradNorm);
      const scaled = adaptive.next(norm);
      expect(maxAbsDiff(scaled, reference)).toBeLessThan(1e-12);
      expect(adaptive.lastVariance).toBeCloseTo((fixed.lastVariance * norm ** 2) / base.maxGradNorm ** 2, 12);
    }
    expect(adaptive.maxGradNorm).toBe(base.maxGradNorm);
    expect(() => adaptive.next(0)).toThrow(/stepMaxGradNorm/);
    expect(() => adaptive.next(Number.POSITIVE_INFINITY)).toThrow(/stepMaxGradNorm/);
    expect(adaptive.step).toBe(norms.length);
  });
});
