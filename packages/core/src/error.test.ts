import { describe, expect, it } from 'vitest';
import { Blt } from './blt';
import { prefixSumError, strategyLoss, workloadError } from './error';
import { bltStrategy, identityStrategy, singleParameterStrategy, squareRootStrategy } from './strategies';
import { toeplitzInverse, toeplitzMatrix } from './toeplitz';

/** Dense per-step errors: row norms² of A C⁻¹ for an explicit workload matrix A. */
function denseErrors(workload: number[][], inverse: Float64Array): number[] {
  const n = inverse.length;
  const inv = toeplitzMatrix(inverse);
  return workload.map((row) => {
    let total = 0;
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let t = 0; t < n; t++) v += (row[t] as number) * ((inv[t] as Float64Array)[j] as number);
      total += v * v;
    }
    return total;
  });
}

describe('errors and losses', () => {
  it('match dense A C⁻¹ for prefix sums, momentum and learning-rate schedules', () => {
    const n = 9;
    const inverse = toeplitzInverse(new Blt([0.9, 0.4], [0.2, 0.3]).coefficients(n));
    const momentum = 0.7;
    const rates = Array.from({ length: n }, (_, s) => 0.5 + 0.1 * Math.cos(s));
    const prefix = Array.from({ length: n }, (_, T) => Array.from({ length: n }, (_, t) => (t <= T ? 1 : 0)));
    const withMomentum = Array.from({ length: n }, (_, T) =>
      Array.from({ length: n }, (_, t) => (t <= T ? (1 - momentum ** (T - t + 1)) / (1 - momentum) : 0)),
    );
    const scheduled = Array.from({ length: n }, (_, T) =>
      Array.from({ length: n }, (_, t) => {
        let a = 0;
        for (let s = t; s <= T; s++) a += (rates[s] as number) * momentum ** (s - t);
        return a;
      }),
    );
    const cases = [
      [prefixSumError(inverse), denseErrors(prefix, inverse)],
      [workloadError(inverse, {}), denseErrors(prefix, inverse)],
      [workloadError(inverse, { momentum }), denseErrors(withMomentum, inverse)],
      [workloadError(inverse, { momentum, learningRates: rates }), denseErrors(scheduled, inverse)],
    ] as const;
    for (const [summary, dense] of cases) {
      dense.forEach((v, t) => {
        expect(summary.perStepError[t]).toBeCloseTo(v, 12);
      });
      expect(summary.maxError).toBeCloseTo(Math.max(...dense), 12);
      expect(summary.meanError).toBeCloseTo(dense.reduce((a, b) => a + b, 0) / n, 12);
    }
  });

  it('rank the strategies as expected at n = 256', () => {
    const options = { steps: 256, participation: 'single' as const };
    const sqrt = strategyLoss(squareRootStrategy(), options).maxErrorLoss;
    expect(sqrt).toBeLessThan(strategyLoss(singleParameterStrategy(0.9), options).maxErrorLoss);
    expect(sqrt).toBeLessThan(
      strategyLoss(bltStrategy(new Blt([0.99, 0.8], [0.1, 0.2])), options).maxErrorLoss,
    );
    expect(strategyLoss(singleParameterStrategy(0.9), options).maxErrorLoss).toBeLessThan(16);
  });

  it('rejects bad workloads', () => {
    expect(() => workloadError([1, 0.5], { momentum: 1 })).toThrow(
      /momentum must be a finite number in \[0, 1\)/,
    );
    expect(() => workloadError([1, 0.5], { learningRates: [1] })).toThrow(
      /learningRates must have one entry per step \(2\)/,
    );
    expect(() => strategyLoss(identityStrategy(), { steps: 0, participation: 'single' })).toThrow(
      /steps must be an integer/,
    );
  });
});
