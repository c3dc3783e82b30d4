import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/reference.json' with { type: 'json' };
import { Blt } from './blt';
import {
  bandedSquareRootStrategy,
  bltStrategy,
  identityStrategy,
  type Strategy,
  singleParameterStrategy,
  squareRootCoefficients,
  squareRootInverseCoefficients,
  squareRootStrategy,
} from './strategies';
import { toeplitzInverse, toeplitzMatrix, toeplitzProduct } from './toeplitz';

const strategies: Strategy[] = [
  identityStrategy(),
  singleParameterStrategy(0.7),
  squareRootStrategy(),
  bandedSquareRootStrategy(1),
  bandedSquareRootStrategy(4),
  bltStrategy(new Blt([0.99, 0.7], [0.1, 0.2])),
];

describe('square-root coefficients', () => {
  it('are binom(2j, j)/4^j and their inverse those of (1 - x)^(1/2)', () => {
    const c = squareRootCoefficients(12);
    const d = squareRootInverseCoefficients(12);
    reference.squareRoot.coefficients.forEach((v, i) => {
      expect(c[i]).toBeCloseTo(v, 15);
    });
    reference.squareRoot.inverseCoefficients.forEach((v, i) => {
      expect(d[i]).toBeCloseTo(v, 15);
    });
    expect(Array.from(c.subarray(0, 4))).toEqual([1, 0.5, 0.375, 0.3125]);
    expect(Array.from(d.subarray(0, 5))).toEqual([1, -0.5, -0.125, -0.0625, -5 / 128]);
    // C² = A (the prefix-sum workload).
    const square = toeplitzProduct(c, c);
    square.forEach((v) => {
      expect(v).toBeCloseTo(1, 14);
    });
  });
});

describe.each(strategies.map((s) => [s.name, s] as const))('strategy %s', (_name, strategy) => {
  const n = 16;

  it('has C · C⁻¹ = I', () => {
    const product = toeplitzProduct(strategy.coefficients(n), strategy.inverseCoefficients(n));
    expect(product[0]).toBeCloseTo(1, 14);
    for (let t = 1; t < n; t++) expect(product[t]).toBeCloseTo(0, 13);
  });

  it('streams the materialised C⁻¹ z, and restores its state exactly', () => {
    const size = 3;
    const invRows = toeplitzMatrix(strategy.inverseCoefficients(n));
    const zs = Array.from({ length: n }, (_, t) =>
      Float64Array.from({ length: size }, (_, k) => Math.sin(t * 1.7 + k)),
    );
    const stream = strategy.createInverseStream(size);
    let saved: ReturnType<typeof stream.exportState> | undefined;
    const outputs: Float64Array[] = [];
    for (let t = 0; t < n; t++) {
      if (t === 9) saved = stream.exportState();
      const x = stream.next(zs[t] as Float64Array) as Float64Array;
      outputs.push(x);
      for (let k = 0; k < size; k++) {
        let expected = 0;
        for (let s = 0; s <= t; s++) {
          expected += ((invRows[t] as Float64Array)[s] as number) * ((zs[s] as Float64Array)[k] as number);
        }
        expect(x[k]).toBeCloseTo(expected, 12);
      }
    }
    const resumed = strategy.createInverseStream(size);
    resumed.restoreState(structuredClone(saved!));
    expect(resumed.step).toBe(9);
    for (let t = 9; t < n; t++) {
      expect(Array.from(resumed.next(zs[t] as Float64Array))).toEqual(Array.from(outputs[t] as Float64Array));
    }
  });
});

describe('stream state sizes', () => {
  it('keep no state for the identity, bands - 1 vectors for the banded square root', () => {
    const draw = new Float64Array(4);
    const identity = identityStrategy().createInverseStream(4);
    const banded = bandedSquareRootStrategy(5).createInverseStream(4);
    for (let t = 0; t < 10; t++) {
      identity.next(draw);
      banded.next(draw);
    }
    expect(identity.exportState().buffers).toHaveLength(0);
    expect(banded.exportState().buffers).toHaveLength(4);
    expect(
      bltStrategy(new Blt([0.9, 0.5, 0.1], [0.1, 0.1, 0.1]))
        .createInverseStream(4)
        .exportState().buffers,
    ).toHaveLength(3);
  });

  it('refuse an unbounded square-root history', () => {
    const stream = squareRootStrategy().createInverseStream(10, { maxHistoryEntries: 30 });
    const z = new Float64Array(10);
    stream.next(z);
    stream.next(z);
    stream.next(z);
    expect(() => stream.next(z)).toThrow(/maxHistoryEntries = 30/);
  });

  it('match the BLT inverse coefficients with the Toeplitz inverse', () => {
    const blt = new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]);
    const viaStream = bltStrategy(blt).inverseCoefficients(20);
    const direct = toeplitzInverse(blt.coefficients(20));
    direct.forEach((v, i) => {
      expect(viaStream[i]).toBeCloseTo(v, 14);
    });
  });

  it('reject bad parameters', () => {
    expect(() => singleParameterStrategy(1)).toThrow(/gamma must be a finite number in \[0, 1\)/);
    expect(() => bandedSquareRootStrategy(0)).toThrow(/bands must be an integer in \[1, /);
    expect(() => squareRootStrategy().coefficients(0)).toThrow(/steps must be an integer/);
  });
});
