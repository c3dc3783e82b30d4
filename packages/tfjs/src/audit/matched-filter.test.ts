import { SeededRandom, sampleStandardNormal } from '@cnm/sampler';
import { describe, expect, it } from 'vitest';
import { applyToeplitz, matchedFilterScores } from './matched-filter';

/** Dense lower-triangular Toeplitz matrix of `c`, n x n. */
function dense(c: Float64Array, n: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i >= j ? (c[i - j] as number) : 0)),
  );
}

function multiply(matrix: number[][], x: Float64Array): number[] {
  return matrix.map((row) => row.reduce((sum, value, j) => sum + value * (x[j] as number), 0));
}

const random = SeededRandom.fromSeed(11);
const vector = (n: number) => Float64Array.from({ length: n }, () => sampleStandardNormal(random));

describe('applyToeplitz', () => {
  it('equals the dense lower-triangular Toeplitz product, zeros in c included', () => {
    for (const n of [1, 2, 7, 16]) {
      const c = vector(n + 3);
      c[2] = 0;
      const x = vector(n);
      const got = applyToeplitz(c, x);
      multiply(dense(c, n), x).forEach((value, t) => {
        expect(got[t]).toBeCloseTo(value, 12);
      });
    }
  });

  it('refuses too few coefficients', () => {
    expect(() => applyToeplitz(new Float64Array(2), new Float64Array(3))).toThrow(/3 coefficients/);
  });
});

describe('matchedFilterScores', () => {
  it('is <C p, C x> - zeta |C p|^2 / 2, computed with dense matrices', () => {
    const n = 9;
    const c = Float64Array.from({ length: n }, (_, j) => 0.7 ** j);
    const released = [vector(n), vector(n), vector(n)];
    const patterns = [
      Float64Array.from({ length: n }, (_, t) => (t % 3 === 0 ? 1 : 0)),
      Float64Array.from({ length: n }, (_, t) => (t % 3 === 1 ? 1 : 0)),
      new Float64Array(n).fill(0.25),
    ];
    const scores = matchedFilterScores({ coefficients: c, released, patterns, canaryNorm: 1.5 });
    const matrix = dense(c, n);
    released.forEach((x, i) => {
      const a = multiply(matrix, patterns[i] as Float64Array);
      const y = multiply(matrix, x);
      const inner = a.reduce((s, v, t) => s + v * (y[t] as number), 0);
      const norm2 = a.reduce((s, v) => s + v * v, 0);
      expect(scores[i]).toBeCloseTo(inner - (1.5 * norm2) / 2, 10);
    });
  });

  it('is the sum of the released sums on the canary steps (minus a constant) for the identity', () => {
    const n = 6;
    const identity = new Float64Array(n);
    identity[0] = 1;
    const x = vector(n);
    const pattern = Float64Array.from([1, 0, 0, 1, 0, 0]);
    const [score] = matchedFilterScores({
      coefficients: identity,
      released: [x],
      patterns: [pattern],
      canaryNorm: 2,
    });
    expect(score).toBeCloseTo((x[0] as number) + (x[3] as number) - (2 * 2) / 2, 12);
  });

  it('ranks an included canary above an excluded one when the noise is small', () => {
    const n = 8;
    const c = Float64Array.from({ length: n }, (_, j) => 1 / (j + 1));
    const pattern = Float64Array.from({ length: n }, (_, t) => (t % 2 === 0 ? 1 : 0));
    // x = g + C^-1 z: build the noise as the solution of C w = 0.1 z by forward substitution.
    const noise = (z: Float64Array) => {
      const w = new Float64Array(n);
      for (let t = 0; t < n; t++) {
        let s = 0.1 * (z[t] as number);
        for (let j = 1; j <= t; j++) s -= (c[j] as number) * (w[t - j] as number);
        w[t] = s;
      }
      return w;
    };
    const inRun = noise(vector(n)).map((w, t) => w + (pattern[t] as number));
    const outRun = noise(vector(n));
    const [scoreIn, scoreOut] = matchedFilterScores({
      coefficients: c,
      released: [inRun, outRun],
      patterns: [pattern, pattern],
      canaryNorm: 1,
    });
    expect(scoreIn).toBeGreaterThan(0);
    expect(scoreOut).toBeLessThan(0);
  });

  it('separates included from excluded canaries far better than the plain sum under correlated noise', () => {
    // C = LTToep(1, γ, γ², ...) with γ = 0.9, so the noise is C⁻¹z = z_t − 0.9 z_(t−1); a canary in every other step.
    const n = 32;
    const c = Float64Array.from({ length: n }, (_, j) => 0.9 ** j);
    const identity = new Float64Array(n);
    identity[0] = 1;
    const pattern = Float64Array.from({ length: n }, (_, t) => (t % 2 === 0 ? 1 : 0));
    const run = (included: boolean) => {
      const z = vector(n);
      return Float64Array.from({ length: n }, (_, t) => {
        const noise = (z[t] as number) - (t > 0 ? 0.9 * (z[t - 1] as number) : 0);
        return 0.5 * noise + (included ? (pattern[t] as number) : 0);
      });
    };
    const runs = Array.from({ length: 400 }, (_, i) => run(i % 2 === 0));
    const patterns = runs.map(() => pattern);
    // Separation of the two groups' mean scores in units of their standard deviation.
    const separation = (coefficients: Float64Array) => {
      const scores = matchedFilterScores({ coefficients, released: runs, patterns, canaryNorm: 1 });
      const group = (parity: number) => Array.from(scores).filter((_, i) => i % 2 === parity);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
      const [inside, outside] = [group(0), group(1)];
      const sd = Math.sqrt(mean(outside.map((v) => (v - mean(outside)) ** 2)));
      return (mean(inside) - mean(outside)) / sd;
    };
    const whitened = separation(c);
    const plain = separation(identity);
    // Closed forms: ‖C p‖ / 0.5 for the matched filter, k / (0.5 √(k · 1.81)) for the plain sum (k = 16).
    const cp = applyToeplitz(c, pattern);
    const expectedWhitened = Math.sqrt(cp.reduce((a, v) => a + v * v, 0)) / 0.5;
    const expectedPlain = 16 / (0.5 * Math.sqrt(16 * 1.81));
    // 200 runs per group: the estimates are within about 5% (one standard error), 15% allowed.
    expect(Math.abs(whitened / expectedWhitened - 1)).toBeLessThan(0.15);
    expect(Math.abs(plain / expectedPlain - 1)).toBeLessThan(0.15);
    expect(whitened).toBeGreaterThan(3 * plain);
  });
});
