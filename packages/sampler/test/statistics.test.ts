import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/seeded-random';
import { binomialChiSquare, chiSquareTest, kolmogorovSurvival, ksNormal, ksUniform } from './statistics';

/** The test helpers are themselves checked against textbook values, so that a passing suite means something. */
describe('statistics helpers', () => {
  it('Kolmogorov survival matches the classical critical values', () => {
    // Critical values of the limiting distribution: Q(1.3581) = 0.05, Q(1.6276) = 0.01, Q(1.9495) = 0.001.
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 4);
    expect(kolmogorovSurvival(1.9495)).toBeCloseTo(0.001, 5);
  });

  it('chi-square p-value matches a table value', () => {
    // Chi-square with 1 degree of freedom: P(X > 3.841459) = 0.05.
    const d = Math.sqrt(3.841459 * 25);
    expect(chiSquareTest([50 + d, 50 - d], [50, 50]).pValue).toBeCloseTo(0.05, 6);
  });

  it('KS rejects a shifted sample and accepts a uniform one', () => {
    const rng = SeededRandom.fromSeed(1);
    const uniform = Array.from({ length: 5000 }, () => rng.nextFloat64());
    expect(ksUniform(uniform).pValue).toBeGreaterThan(0.001);
    expect(ksNormal(uniform.map((u) => u + 0.5)).pValue).toBeLessThan(1e-10);
  });

  it('binomial pooling keeps the total count and expectation', () => {
    const values = [0, 1, 1, 2, 2, 2, 3, 3, 4, 10];
    const values1000 = Array.from({ length: 100 }, () => values).flat();
    const result = binomialChiSquare(values1000, 10, 0.2);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(result.observed)).toBe(1000);
    expect(sum(result.expected)).toBeCloseTo(1000, 9);
    expect(Math.min(...result.expected)).toBeGreaterThanOrEqual(5);
    // The value 10 lies in the pooled upper tail, together with the other values above the last full bin.
    expect(result.observed.length).toBe(result.degreesOfFreedom + 1);
  });
});
