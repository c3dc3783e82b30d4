import { describe, expect, it } from 'vitest';
import { bandedToeplitzStrategy } from './banded';
import { noiseStreamStateFromJson, noiseStreamStateToJson } from './noise-stream';
import { toeplitzApply, toeplitzMatrix } from './toeplitz';

/** Deterministic standard normals (Box-Muller over a fixed LCG) for the statistical checks. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('bandedToeplitzStrategy', () => {
  const band = [2, 1.2, -0.4, 0.3];

  it('normalises the band to unit norm, which is the largest column norm of C', () => {
    const strategy = bandedToeplitzStrategy(band);
    const c = strategy.band;
    expect(Math.hypot(...c)).toBeCloseTo(1, 15);
    expect(c[1]! / c[0]!).toBeCloseTo(0.6, 15);
    const matrix = toeplitzMatrix(strategy.coefficients(9));
    const columnNorms = Array.from({ length: 9 }, (_, j) => Math.hypot(...matrix.map((row) => row[j]!)));
    expect(Math.max(...columnNorms)).toBeCloseTo(1, 15);
    // Zero below the band.
    expect(Array.from(strategy.coefficients(9).subarray(4))).toEqual([0, 0, 0, 0, 0]);
    expect(strategy.bands).toBe(4);
  });

  it('has C · C⁻¹ = I', () => {
    const strategy = bandedToeplitzStrategy(band);
    const n = 40;
    const c = strategy.coefficients(n);
    const inverse = strategy.inverseCoefficients(n);
    const product = toeplitzApply(c, inverse);
    expect(product[0]).toBeCloseTo(1, 14);
    for (let t = 1; t < n; t++) expect(Math.abs(product[t]!)).toBeLessThan(1e-12);
  });

  it('streams C⁻¹ z with bands - 1 stored vectors, equal to the materialised product', () => {
    const strategy = bandedToeplitzStrategy(band);
    const n = 30;
    const size = 3;
    const random = normals(7);
    const z = Array.from({ length: n }, () => Float64Array.from({ length: size }, random));
    const stream = strategy.createInverseStream(size);
    const inverse = strategy.inverseCoefficients(n);
    for (let t = 0; t < n; t++) {
      const x = stream.next(z[t]!);
      expect(stream.exportState().buffers.length).toBe(Math.min(t + 1, 3));
      for (let k = 0; k < size; k++) {
        let expected = 0;
        for (let s = 0; s <= t; s++) expected += inverse[t - s]! * z[s]![k]!;
        expect(x[k]).toBeCloseTo(expected, 10);
      }
    }
  });

  it('resumes exactly from an exported (JSON) state and refuses a foreign one', () => {
    const strategy = bandedToeplitzStrategy(band);
    const random = normals(3);
    const draws = Array.from({ length: 12 }, () => Float64Array.from({ length: 2 }, random));
    const a = strategy.createInverseStream(2);
    for (let t = 0; t < 5; t++) a.next(draws[t]!);
    const saved = noiseStreamStateFromJson(
      JSON.parse(JSON.stringify(noiseStreamStateToJson(a.exportState()))),
    );
    const b = strategy.createInverseStream(2);
    b.restoreState(saved);
    for (let t = 5; t < 12; t++) expect(Array.from(b.next(draws[t]!))).toEqual(Array.from(a.next(draws[t]!)));
    const other = bandedToeplitzStrategy([1, 0.5]).createInverseStream(2);
    expect(() => other.restoreState(saved)).toThrow(/state.strategy must be 'banded-toeplitz\(bands=2\)'/);
  });

  it('gives the identity for one band', () => {
    const strategy = bandedToeplitzStrategy([3]);
    expect(Array.from(strategy.coefficients(4))).toEqual([1, 0, 0, 0]);
    expect(Array.from(strategy.inverseCoefficients(4), (v) => v + 0)).toEqual([1, 0, 0, 0]);
    const stream = strategy.createInverseStream(2);
    expect(Array.from(stream.next(Float64Array.of(0.5, -2)))).toEqual([0.5, -2]);
    expect(Array.from(stream.next(Float64Array.of(1, 3)))).toEqual([1, 3]);
    expect(stream.exportState().buffers).toEqual([]);
  });

  it('streams noise whose covariance is C⁻¹ C⁻ᵀ (statistical check, 40000 runs)', () => {
    const strategy = bandedToeplitzStrategy([1, 0.7, 0.4]);
    const n = 6;
    const runs = 40000;
    const random = normals(11);
    const stream = strategy.createInverseStream(runs);
    const samples: Float64Array[] = [];
    for (let t = 0; t < n; t++)
      samples.push(stream.next(Float64Array.from({ length: runs }, random)) as Float64Array);
    const inverse = strategy.inverseCoefficients(n);
    for (let s = 0; s < n; s++) {
      for (let t = 0; t <= s; t++) {
        let expected = 0;
        for (let j = 0; j <= t; j++) expected += inverse[s - j]! * inverse[t - j]!;
        let empirical = 0;
        for (let r = 0; r < runs; r++) empirical += samples[s]![r]! * samples[t]![r]!;
        empirical /= runs;
        // Standard error of a product moment ≤ √((var_s var_t + cov²)/runs); 5 of them is a loose but failing bound.
        let varS = 0;
        let varT = 0;
        for (let j = 0; j <= s; j++) varS += inverse[s - j]! ** 2;
        for (let j = 0; j <= t; j++) varT += inverse[t - j]! ** 2;
        const se = Math.sqrt((varS * varT + expected * expected) / runs);
        expect(Math.abs(empirical - expected)).toBeLessThan(5 * se);
      }
    }
  });

  it('rejects bad bands', () => {
    expect(() => bandedToeplitzStrategy([])).toThrow(/coefficients must have at least 1 entries/);
    expect(() => bandedToeplitzStrategy([0, 1])).toThrow(/coefficients\[0\] must be positive/);
    expect(() => bandedToeplitzStrategy([1, Number.NaN])).toThrow(
      /coefficients\[1\] must be a finite number/,
    );
    expect(() => bandedToeplitzStrategy([1]).coefficients(0)).toThrow(/steps must be an integer/);
  });
});
