import { describe, expect, it } from 'vitest';
import reference from '../test/fixtures/reference.json' with { type: 'json' };
import { Blt, inverseBltParameters } from './blt';
import { toeplitzInverse, toeplitzMatrix, toeplitzProduct } from './toeplitz';

const example = reference.bltExample;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 13): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, digits);
}

describe('Blt', () => {
  const blt = new Blt(example.decays, example.outputScales);

  it('has the coefficients of the shared-notes example (1, 0.4, 0.1775, 0.107125, …)', () => {
    const c = blt.coefficients(8);
    expectClose(c.subarray(0, 4), [1, 0.4, 0.1775, 0.107125], 15);
    expectClose(c, example.coefficients, 15);
  });

  it('streams C⁻¹ z = 1, 1.6, 2.1825, 2.735875, 3.2699875, … for z = 1..8', () => {
    const stream = blt.createInverseStream(1);
    const xs = example.z.map((z) => (stream.next(new Float64Array([z])) as Float64Array)[0] as number);
    expectClose(xs.slice(0, 5), [1, 1.6, 2.1825, 2.735875, 3.2699875], 13);
    expectClose(xs, example.inverseTimesZ, 12);
    expect(stream.step).toBe(8);
  });

  it('streams the materialised products C z and C⁻¹ z over vectors', () => {
    const n = 12;
    const size = 3;
    const zs = Array.from({ length: n }, (_, t) =>
      Float64Array.from({ length: size }, (_, k) => Math.sin(t * 3 + k)),
    );
    const c = blt.coefficients(n);
    const cinv = toeplitzInverse(c);
    const rows = toeplitzMatrix(c);
    const invRows = toeplitzMatrix(cinv);
    const forward = blt.createStream(size);
    const inverse = blt.createInverseStream(size);
    for (let t = 0; t < n; t++) {
      const y = forward.next(zs[t] as Float64Array);
      const x = inverse.next(zs[t] as Float64Array);
      for (let k = 0; k < size; k++) {
        let ey = 0;
        let ex = 0;
        for (let s = 0; s <= t; s++) {
          ey += ((rows[t] as Float64Array)[s] as number) * ((zs[s] as Float64Array)[k] as number);
          ex += ((invRows[t] as Float64Array)[s] as number) * ((zs[s] as Float64Array)[k] as number);
        }
        expect(y[k]).toBeCloseTo(ey, 12);
        expect(x[k]).toBeCloseTo(ex, 12);
      }
    }
  });

  it('exports and restores the stream state exactly', () => {
    const size = 5;
    const a = blt.createInverseStream(size);
    const draw = (t: number) => Float64Array.from({ length: size }, (_, k) => Math.cos(7 * t + k * 1.3));
    for (let t = 0; t < 6; t++) a.next(draw(t));
    const state = a.exportState();
    expect(state.buffers).toHaveLength(3);
    const b = blt.createInverseStream(size);
    b.restoreState(structuredClone(state));
    expect(b.step).toBe(6);
    for (let t = 6; t < 12; t++) {
      expect(Array.from(b.next(draw(t)))).toEqual(Array.from(a.next(draw(t))));
    }
    // Exported buffers are copies: advancing the stream does not change an earlier export.
    const frozen = Array.from(state.buffers[0] as Float64Array);
    a.next(draw(20));
    expect(Array.from(state.buffers[0] as Float64Array)).toEqual(frozen);
    expect(() => b.restoreState({ ...state, size: 4 })).toThrow(/state.size must be 5/);
    expect(() => b.restoreState({ ...state, strategy: 'blt' })).toThrow(
      /state.strategy must be 'blt-inverse\(/,
    );
    // A state of another BLT with as many buffers is refused too.
    expect(() =>
      new Blt([0.9, 0.6, 0.2], [0.05, 0.15, 0.2]).createInverseStream(size).restoreState(state),
    ).toThrow(/state.strategy must be/);
  });

  it('writes into Float32 outputs and in place', () => {
    const s1 = blt.createInverseStream(2);
    const s2 = blt.createInverseStream(2);
    const z = new Float32Array([1, 2]);
    const out = new Float32Array(2);
    s1.next(z, out);
    s2.next(z, z);
    expect(Array.from(out)).toEqual(Array.from(z));
    expect(() => s1.next(new Float64Array(3))).toThrow(/z must have length 2/);
  });

  it('has the inverse parameters of the reference (eigenvalues of diag(θ) - ω1ᵀ)', () => {
    const inv = inverseBltParameters(example.decays, example.outputScales);
    const order = Array.from(inv.decays.keys()).sort(
      (i, j) => (inv.decays[i] as number) - (inv.decays[j] as number),
    );
    expectClose(
      order.map((i) => inv.decays[i] as number),
      example.inverseDecays,
      12,
    );
    expectClose(
      order.map((i) => inv.outputScales[i] as number),
      example.inverseOutputScales,
      12,
    );
    // One inverse decay is negative here, so this BLT's inverse is not a valid Blt.
    expect(() => blt.inverse()).toThrow(/outside \(0, 1\)/);
  });

  it('inverts: C · C⁻¹ = I, and the inverse of the inverse is C', () => {
    const a = new Blt([0.99, 0.7], [0.1, 0.2]);
    const inv = a.inverse();
    expect(inv.bufferCount).toBe(2);
    for (const w of inv.outputScales) expect(w).toBeLessThan(0);
    const n = 40;
    const product = toeplitzProduct(a.coefficients(n), inv.coefficients(n));
    expect(product[0]).toBeCloseTo(1, 15);
    for (let t = 1; t < n; t++) expect(product[t]).toBeCloseTo(0, 14);
    expectClose(inv.inverse().coefficients(n), a.coefficients(n), 13);
    // Mixed-sign output scales go through the polynomial root finder.
    const mixed = new Blt([0.9, 0.5, 0.3], [0.2, -0.05, 0.1]);
    const mixedInv = inverseBltParameters(mixed.decays, mixed.outputScales);
    const mixedProduct = toeplitzProduct(
      mixed.coefficients(n),
      new Blt(mixedInv.decays, mixedInv.outputScales).coefficients(n),
    );
    for (let t = 1; t < n; t++) expect(mixedProduct[t]).toBeCloseTo(0, 12);
  });

  it('builds from a decay pair with the partial-fraction output scales', () => {
    const theta = [0.999, 0.9, 0.5];
    const thetaHat = [0.99, 0.7, 0.2];
    const blt2 = Blt.fromDecayPair(theta, thetaHat);
    const inv = blt2.inverse();
    expectClose(inv.decays, thetaHat, 15);
    const n = 30;
    const product = toeplitzProduct(blt2.coefficients(n), inv.coefficients(n));
    for (let t = 1; t < n; t++) expect(product[t]).toBeCloseTo(0, 13);
    // The recomputed inverse (by root finding) agrees with the cached pair.
    const fresh = new Blt(blt2.decays, blt2.outputScales).inverse();
    const sorted = Array.from(fresh.decays).sort((x, y) => y - x);
    expectClose(sorted, thetaHat, 12);
  });

  it('rejects bad decays and scales naming the parameter and range', () => {
    expect(() => new Blt([1.2], [0.1])).toThrow(/decays\[0\] must be a finite number in \(0, 1\)/);
    expect(() => new Blt([0], [0.1])).toThrow(/decays\[0\] must be a finite number in \(0, 1\)/);
    expect(() => new Blt([0.5, 0.5], [0.1, 0.1])).toThrow(/decays must be pairwise distinct/);
    expect(() => new Blt([Number.NaN], [0.1])).toThrow(/decays\[0\] must be a finite number/);
    expect(() => new Blt([0.5], [0.1, 0.2])).toThrow(/outputScales must have one entry per decay/);
    expect(() => new Blt([0.5], [Number.POSITIVE_INFINITY])).toThrow(
      /outputScales\[0\] must be a finite number/,
    );
    expect(() => Blt.fromDecayPair([0.5], [0.5])).toThrow(/decays and inverseDecays must be distinct/);
    expect(() => blt.coefficients(0)).toThrow(/steps must be an integer in \[1, /);
    expect(() => blt.createInverseStream(0)).toThrow(/size must be an integer in \[1, /);
  });
});
