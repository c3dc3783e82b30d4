import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowLookupSquaredNormValues } from './row-lookup-norms';

/** The per-example gradient as a dense `[rows, F]` matrix, then its squared norm (brute force). */
function denseSquaredNorm(indices: number[], right: number[], rows: number, features: number): number {
  const dense = new Float64Array(rows * features);
  indices.forEach((row, t) => {
    for (let f = 0; f < features; f++) dense[row * features + f]! += right[t * features + f]!;
  });
  return dense.reduce((s, v) => s + v * v, 0);
}

describe('rowLookupSquaredNormValues', () => {
  it('equals the squared norm of the dense per-example gradient, repeated rows included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (batch, positions, features, rows, seed) => {
          let state = seed;
          const next = () => {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            return state / 2 ** 32;
          };
          const indices = Array.from({ length: batch * positions }, () => Math.floor(next() * rows));
          const right = Array.from({ length: batch * positions * features }, () => next() * 2 - 1);
          const norms = rowLookupSquaredNormValues(indices, right, batch, positions, features);
          for (let i = 0; i < batch; i++) {
            const expected = denseSquaredNorm(
              indices.slice(i * positions, (i + 1) * positions),
              right.slice(i * positions * features, (i + 1) * positions * features),
              rows,
              features,
            );
            expect(norms[i]).toBeCloseTo(expected, 5);
          }
        },
      ),
      { numRuns: 200, seed: 20261209 },
    );
  });

  it('a non-finite gradient gives a non-finite norm (never silently finite)', () => {
    const norms = rowLookupSquaredNormValues([0, 0], [1, Number.NaN], 1, 2, 1);
    expect(Number.isNaN(norms[0])).toBe(true);
  });
});
