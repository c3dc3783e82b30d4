import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transposeLastTwo } from './batch-mat-mul';
import {
  type ConvGeometry,
  col2imAccumulate,
  im2colTransposed,
  im2colTransposedFromPlanes,
  isShiftedPlaneCase,
} from './im2col';

/** Random values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296) * 2 - 1;
  });
}

/** Patch element (kh, kw, ci) of output position (b, oh, ow), straight from the definition. */
function patchValue(x: Float32Array, g: ConvGeometry, b: number, oh: number, ow: number, k: number): number {
  const ci = k % g.inChannels;
  const kw = Math.floor(k / g.inChannels) % g.filterWidth;
  const kh = Math.floor(k / (g.inChannels * g.filterWidth));
  const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
  const iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft;
  if (ih < 0 || ih >= g.inHeight || iw < 0 || iw >= g.inWidth) return 0;
  return x[((b * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + ci]!;
}

const geometryArbitrary = fc
  .record({
    batchSize: fc.integer({ min: 1, max: 3 }),
    inHeight: fc.integer({ min: 1, max: 7 }),
    inWidth: fc.integer({ min: 1, max: 7 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    filterHeight: fc.integer({ min: 1, max: 3 }),
    filterWidth: fc.integer({ min: 1, max: 3 }),
    strideHeight: fc.integer({ min: 1, max: 3 }),
    strideWidth: fc.integer({ min: 1, max: 3 }),
    dilationHeight: fc.integer({ min: 1, max: 3 }),
    dilationWidth: fc.integer({ min: 1, max: 3 }),
    padTop: fc.integer({ min: 0, max: 3 }),
    padLeft: fc.integer({ min: 0, max: 3 }),
    padBottom: fc.integer({ min: 0, max: 3 }),
    padRight: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) => {
    const spanH = (r.filterHeight - 1) * r.dilationHeight + 1;
    const spanW = (r.filterWidth - 1) * r.dilationWidth + 1;
    const outHeight = Math.floor((r.inHeight + r.padTop + r.padBottom - spanH) / r.strideHeight) + 1;
    const outWidth = Math.floor((r.inWidth + r.padLeft + r.padRight - spanW) / r.strideWidth) + 1;
    return { ...r, outHeight, outWidth };
  })
  .filter((g) => g.outHeight > 0 && g.outWidth > 0);

describe('im2col', () => {
  it('im2colTransposed matches the definition for any stride, dilation and padding', () => {
    fc.assert(
      fc.property(geometryArbitrary, fc.integer({ min: 1, max: 1 << 30 }), (g, seed) => {
        const x = values(g.batchSize * g.inHeight * g.inWidth * g.inChannels, seed);
        const patchSize = g.filterHeight * g.filterWidth * g.inChannels;
        const positions = g.outHeight * g.outWidth;
        const columns = g.batchSize * positions;
        const colsT = new Float32Array(patchSize * columns).fill(Number.NaN);
        im2colTransposed(x, colsT, g, 0, g.batchSize);
        for (let k = 0; k < patchSize; k++) {
          for (let n = 0; n < columns; n++) {
            const b = Math.floor(n / positions);
            const oh = Math.floor((n % positions) / g.outWidth);
            const ow = n % g.outWidth;
            expect(colsT[k * columns + n]).toBe(patchValue(x, g, b, oh, ow, k));
          }
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('the shifted-plane version agrees with it whenever it applies (stride 1, output the input size)', () => {
    const shifted = geometryArbitrary
      .map((g) => {
        // 'same'-style padding for the drawn filter span, then stride 1.
        const spanH = (g.filterHeight - 1) * g.dilationHeight;
        const spanW = (g.filterWidth - 1) * g.dilationWidth;
        return {
          ...g,
          strideHeight: 1,
          strideWidth: 1,
          padTop: Math.floor(spanH / 2),
          padLeft: Math.floor(spanW / 2),
          outHeight: g.inHeight,
          outWidth: g.inWidth,
        };
      })
      .filter(isShiftedPlaneCase);
    fc.assert(
      fc.property(shifted, fc.integer({ min: 1, max: 1 << 30 }), (g, seed) => {
        const pixels = g.batchSize * g.inHeight * g.inWidth;
        const x = values(pixels * g.inChannels, seed);
        const patchSize = g.filterHeight * g.filterWidth * g.inChannels;
        const expected = new Float32Array(patchSize * pixels);
        im2colTransposed(x, expected, g, 0, g.batchSize);
        const planes = new Float32Array(x.length);
        transposeLastTwo(x, planes, 1, pixels, g.inChannels);
        const actual = new Float32Array(patchSize * pixels).fill(Number.NaN);
        im2colTransposedFromPlanes(planes, actual, g, g.batchSize);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      }),
      { numRuns: 60, seed: 8 },
    );
  });

  it('col2imAccumulate is the adjoint of patch extraction: <im2col(x), c> = <x, col2im(c)>', () => {
    fc.assert(
      fc.property(geometryArbitrary, fc.integer({ min: 1, max: 1 << 30 }), (g, seed) => {
        const x = values(g.batchSize * g.inHeight * g.inWidth * g.inChannels, seed);
        const patchSize = g.filterHeight * g.filterWidth * g.inChannels;
        const columns = g.batchSize * g.outHeight * g.outWidth;
        const c = values(columns * patchSize, seed + 1); // [positions, patch]
        const colsT = new Float32Array(patchSize * columns);
        im2colTransposed(x, colsT, g, 0, g.batchSize);
        let left = 0;
        for (let n = 0; n < columns; n++) {
          for (let k = 0; k < patchSize; k++) left += colsT[k * columns + n]! * c[n * patchSize + k]!;
        }
        const dx = new Float32Array(x.length);
        col2imAccumulate(c, dx, g);
        let right = 0;
        for (let i = 0; i < x.length; i++) right += x[i]! * dx[i]!;
        expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(left)));
      }),
      { numRuns: 60, seed: 9 },
    );
  });
});
