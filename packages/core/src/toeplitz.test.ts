import { describe, expect, it } from 'vitest';
import {
  prefixSums,
  toeplitzApply,
  toeplitzInverse,
  toeplitzMatrix,
  toeplitzProduct,
  toeplitzSolve,
} from './toeplitz';

function matMul(a: Float64Array[], b: Float64Array[]): Float64Array[] {
  const n = a.length;
  return a.map((row) => {
    const out = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += (row[k] as number) * ((b[k] as Float64Array)[j] as number);
      out[j] = acc;
    }
    return out;
  });
}

describe('toeplitz algebra', () => {
  const c = new Float64Array([2, -1, 0.5, 0.25, -0.125, 3]);

  it('multiplies coefficients like the dense matrices', () => {
    const d = new Float64Array([1, 0.3, -0.2]);
    const product = toeplitzProduct(c, d);
    const dense = matMul(toeplitzMatrix(c), toeplitzMatrix(d, c.length));
    dense.forEach((row, i) => {
      expect(row[0]).toBeCloseTo(product[i] as number, 14);
    });
    expect(Array.from(toeplitzProduct(c, d, 2))).toEqual([2, -1 + 0.6]);
  });

  it('inverts: C · C⁻¹ = I on coefficients and on dense matrices', () => {
    const inv = toeplitzInverse(c);
    const identity = toeplitzProduct(c, inv);
    expect(identity[0]).toBeCloseTo(1, 15);
    for (let t = 1; t < c.length; t++) expect(identity[t]).toBeCloseTo(0, 13);
    const dense = matMul(toeplitzMatrix(c), toeplitzMatrix(inv));
    dense.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(i === j ? 1 : 0, 12);
      });
    });
    expect(toeplitzInverse([1, -1], 5)).toEqual(new Float64Array([1, 1, 1, 1, 1]));
  });

  it('applies and solves consistently', () => {
    const x = new Float64Array([1, -2, 3, 0.5, 4, -1]);
    const y = toeplitzApply(c, x);
    const rows = toeplitzMatrix(c);
    rows.forEach((row, i) => {
      expect(y[i]).toBeCloseTo(
        row.reduce((acc, v, j) => acc + v * (x[j] as number), 0),
        13,
      );
    });
    const back = toeplitzSolve(c, y);
    back.forEach((v, i) => {
      expect(v).toBeCloseTo(x[i] as number, 12);
    });
  });

  it('computes prefix sums', () => {
    expect(Array.from(prefixSums([1, -0.5, -0.125]))).toEqual([1, 0.5, 0.375]);
  });

  it('rejects bad input with the parameter name', () => {
    expect(() => toeplitzInverse([0, 1])).toThrow(/c\[0\] must be non-zero/);
    expect(() => toeplitzInverse([1, Number.NaN])).toThrow(/c\[1\] must be a finite number/);
    expect(() => toeplitzProduct([1], [1], 0)).toThrow(/steps must be an integer in \[1, /);
    expect(() => toeplitzMatrix([1], 5000)).toThrow(/steps must be an integer in \[1, 4096\]/);
  });
});
