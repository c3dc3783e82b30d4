import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { geometricSum, weightedGeometricSum } from './geometric';

function directE(v: number, m: number): number {
  let acc = 0;
  const x = 1 - v;
  let p = 1;
  for (let t = 0; t < m; t++) {
    acc += p;
    p *= x;
  }
  return acc;
}

function directW(v: number, n: number): number {
  let acc = 0;
  const x = 1 - v;
  let p = 1;
  for (let j = 0; j < n; j++) {
    acc += (n - j) * p;
    p *= x;
  }
  return acc;
}

function relClose(a: number, b: number, tol: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
}

describe('geometric sums', () => {
  it('match direct summation on both sides of the series/closed-form switch', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-9, max: 1.9, noNaN: true }),
        fc.integer({ min: 0, max: 3000 }),
        (v, m) => {
          relClose(geometricSum(v, m).value, directE(v, m), 1e-11);
          relClose(weightedGeometricSum(v, m).value, directW(v, m), 1e-11);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('have the derivative of a central finite difference', () => {
    for (const [v, m] of [
      [1e-4, 50],
      [1e-4, 20000],
      [0.3, 7],
      [0.02, 40],
      [1.5, 9],
    ] as const) {
      const h = v * 1e-6;
      const fdE = (geometricSum(v + h, m).value - geometricSum(v - h, m).value) / (2 * h);
      const fdW = (weightedGeometricSum(v + h, m).value - weightedGeometricSum(v - h, m).value) / (2 * h);
      relClose(geometricSum(v, m).slope, fdE, 1e-6 * Math.abs(fdE) + 1e-9);
      relClose(weightedGeometricSum(v, m).slope, fdW, 1e-6 * Math.abs(fdW) + 1e-9);
    }
  });

  it('keep full precision for x within 1e-12 of 1', () => {
    // Σ_{t<m} x^t = m - v m(m-1)/2 + O(v²): exact to rounding for tiny v.
    const v = 1e-12;
    const m = 1e6;
    relClose(
      geometricSum(v, m).value,
      m - (v * m * (m - 1)) / 2 + (v * v * m * (m - 1) * (m - 2)) / 6,
      1e-15,
    );
    relClose(geometricSum(v, m).slope, -(m * (m - 1)) / 2 + (v * m * (m - 1) * (m - 2)) / 3, 1e-12);
  });
});
