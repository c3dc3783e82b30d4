import { Blt, bltStrategy, singleParameterStrategy } from '@cnm/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorrelatedNoise } from '../src/correlated-noise';
import { correlatedNoiseStateFromJson, correlatedNoiseStateToJson } from '../src/state-json';
import { sgdUpdate } from '../src/update-rules';

describe('properties', () => {
  it('noise export at any step and JSON round trip continue the stream exactly', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 0, max: 0.99, noNaN: true }).map((gamma) => singleParameterStrategy(gamma)),
          fc
            .tuple(
              fc.double({ min: 0.05, max: 0.45, noNaN: true }),
              fc.double({ min: 0.55, max: 0.99, noNaN: true }),
            )
            .map(([a, b]) => bltStrategy(Blt.fromDecayPair([b, a], [b - 0.04, a - 0.04]))),
        ),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (strategy, size, before, after, seed) => {
          const options = {
            strategy,
            size,
            noiseMultiplier: 1.5,
            maxGradNorm: 0.5,
            sensitivity: 3,
            random: { seed },
          };
          const uninterrupted = new CorrelatedNoise(options);
          const first = new CorrelatedNoise(options);
          for (let t = 0; t < before; t++) {
            uninterrupted.next();
            first.next();
          }
          const json = JSON.parse(JSON.stringify(correlatedNoiseStateToJson(first.exportState())));
          const resumed = new CorrelatedNoise(options);
          resumed.restoreState(correlatedNoiseStateFromJson(json));
          for (let t = 0; t < after; t++) {
            expect([...resumed.next()]).toEqual([...uninterrupted.next()]);
            expect(resumed.lastVariance).toBe(uninterrupted.lastVariance);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('plain SGD moves each parameter by lr * ((sum + noise) / B + weightDecay * p)', () => {
    const finite = fc.double({ min: -100, max: 100, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(finite, finite, finite), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.5, max: 512, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (entries, learningRate, normaliser, weightDecay) => {
          const params = Float32Array.from(entries.map(([p]) => p));
          const start = Float32Array.from(params);
          const sums = Float32Array.from(entries.map(([, s]) => s));
          const noise = Float64Array.from(entries.map(([, , z]) => z));
          sgdUpdate(
            params,
            sums,
            noise,
            0,
            normaliser,
            { learningRate, momentum: 0, nesterov: false, weightDecay },
            null,
          );
          entries.forEach((_, i) => {
            const p = start[i] as number;
            const expected =
              p -
              learningRate * (((sums[i] as number) + (noise[i] as number)) / normaliser + weightDecay * p);
            expect(Math.abs((params[i] as number) - expected)).toBeLessThanOrEqual(
              1e-6 * Math.max(1, Math.abs(expected)),
            );
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
