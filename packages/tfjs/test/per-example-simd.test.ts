import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeClippedGradients,
  loadWasmSimdKernels,
  registerWasmTrainingKernels,
  setPerExampleSimdEnabled,
} from '../src/index';
import { materialize, variableNorms } from '../src/per-example/contributions';
import { type ConvGeometry, convAxis } from '../src/per-example/patches';
import {
  perExampleConvGradientsWasm,
  rowSquaredNormsWasm,
  sumOverPositionsWasm,
  weightedRowSumWasm,
} from '../src/per-example/simd-per-example';
import { PER_EXAMPLE_WASM_BASE64 } from '../src/per-example/simd-per-example-binary';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  expect(await loadWasmSimdKernels()).toBe(true);
});

afterAll(async () => {
  setPerExampleSimdEnabled(true);
  await tf.setBackend('cpu');
});

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < expected.length; k++) {
    diff += (actual[k]! - expected[k]!) ** 2;
    norm += expected[k]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

/**
 * Per-example kernel gradients by brute force in float64 (the definition of the filter gradient, with tfjs's
 * padding rule from `convAxis`): `dW[a][b][c][f] = Σ_{oh,ow} x[oh·sh + a·dh − top][ow·sw + b·dw − left][c] · dy[oh][ow][f]`.
 */
function bruteForcePerExampleConv(
  x: Float32Array,
  dy: Float32Array,
  xShape: [number, number, number, number],
  dyShape: [number, number, number, number],
  g: ConvGeometry,
): Float64Array[] {
  const [batch, height, width, channels] = xShape;
  const [, outHeight, outWidth, filters] = dyShape;
  const [kh, kw] = g.kernelSize;
  const top = convAxis(height, kh, g.strides[0], g.dilations[0], g.padding).padBefore;
  const left = convAxis(width, kw, g.strides[1], g.dilations[1], g.padding).padBefore;
  const out: Float64Array[] = [];
  for (let i = 0; i < batch; i++) {
    const dw = new Float64Array(kh * kw * channels * filters);
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let a = 0; a < kh; a++) {
          const ih = oh * g.strides[0] + a * g.dilations[0] - top;
          if (ih < 0 || ih >= height) continue;
          for (let b = 0; b < kw; b++) {
            const iw = ow * g.strides[1] + b * g.dilations[1] - left;
            if (iw < 0 || iw >= width) continue;
            for (let c = 0; c < channels; c++) {
              const xv = x[((i * height + ih) * width + iw) * channels + c]!;
              for (let f = 0; f < filters; f++) {
                dw[((a * kw + b) * channels + c) * filters + f]! +=
                  xv * dy[((i * outHeight + oh) * outWidth + ow) * filters + f]!;
              }
            }
          }
        }
      }
    }
    out.push(dw);
  }
  return out;
}

describe('per-example WASM SIMD paths', () => {
  const cases: { name: string; x: [number, number, number, number]; f: number; g: ConvGeometry }[] = [
    {
      name: '3x3 same, 1 channel',
      x: [3, 6, 5, 1],
      f: 8,
      g: { kernelSize: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'same' },
    },
    {
      name: '3x2 stride 2 valid, odd channels',
      x: [4, 7, 8, 5],
      f: 3,
      g: { kernelSize: [3, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid' },
    },
    {
      name: '2x3 dilation 2 same, 9 channels to 12 filters',
      x: [2, 7, 6, 9],
      f: 12,
      g: { kernelSize: [2, 3], strides: [1, 1], dilations: [2, 2], padding: 'same' },
    },
    {
      name: '3x3 stride 2 same, 16 to 32',
      x: [2, 9, 9, 16],
      f: 32,
      g: { kernelSize: [3, 3], strides: [2, 2], dilations: [1, 1], padding: 'same' },
    },
  ];
  for (const c of cases) {
    it(`per-example conv gradients and norms match a float64 brute force: ${c.name}`, () => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 3) as tf.Tensor4D;
      const filterShape: [number, number, number, number] = [...c.g.kernelSize, c.x[3], c.f];
      const z = tf.conv2d(
        x,
        tf.zeros(filterShape) as tf.Tensor4D,
        c.g.strides as [number, number],
        c.g.padding,
        'NHWC',
        [c.g.dilations[0], c.g.dilations[1]],
      );
      const dyShape = z.shape as [number, number, number, number];
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 4) as tf.Tensor4D;
      const fast = perExampleConvGradientsWasm(x, dy, c.g);
      expect(fast).toBeDefined();
      const perExample = fast!.perExample.dataSync();
      const norms = fast!.squaredNorms.dataSync();
      const reference = bruteForcePerExampleConv(
        x.dataSync() as Float32Array,
        dy.dataSync() as Float32Array,
        c.x,
        dyShape,
        c.g,
      );
      const size = reference[0]!.length;
      expect(fast!.perExample.shape).toEqual([c.x[0], size]);
      reference.forEach((want, i) => {
        expect(relativeError(perExample.subarray(i * size, (i + 1) * size), want)).toBeLessThanOrEqual(1e-5);
        const wantNorm = want.reduce((s, v) => s + v * v, 0);
        expect(Math.abs(norms[i]! - wantNorm) / wantNorm).toBeLessThanOrEqual(1e-5);
      });
      tf.dispose([x, z, dy, fast!.perExample, fast!.squaredNorms]);
    });
  }

  it('row norms and weighted row sums match float64 sums (widths off the SIMD blocks)', () => {
    for (const [rows, cols] of [
      [5, 37],
      [7, 130],
      [3, 3],
      [9, 18432],
    ] as const) {
      const g = tf.randomNormal([rows, cols], 0, 1, 'float32', rows) as tf.Tensor2D;
      const w = tf.randomUniform([rows], 0, 1, 'float32', cols) as tf.Tensor1D;
      const gv = g.dataSync() as Float32Array;
      const wv = w.dataSync() as Float32Array;
      const wantNorms = Array.from({ length: rows }, (_, r) =>
        gv.subarray(r * cols, (r + 1) * cols).reduce((s, v) => s + v * v, 0),
      );
      const wantSum = Array.from({ length: cols }, (_, c) =>
        wv.reduce((s, wr, r) => s + wr * gv[r * cols + c]!, 0),
      );
      const norms = rowSquaredNormsWasm(g)!;
      const sum = weightedRowSumWasm(g, w)!;
      expect(relativeError(norms.dataSync(), wantNorms)).toBeLessThanOrEqual(1e-6);
      expect(relativeError(sum.dataSync(), wantSum)).toBeLessThanOrEqual(1e-6);
      tf.dispose([g, w, norms, sum]);
    }
  });

  it('outer-product contributions (sequences) on the SIMD path match a float64 brute force', () => {
    for (const [batch, positions, k, f] of [
      [3, 5, 4, 7],
      [2, 32, 33, 256],
      [4, 1, 9, 3],
    ] as const) {
      const c = {
        kind: 'outer' as const,
        left: tf.randomNormal([batch, positions, k], 0, 1, 'float32', k),
        right: tf.randomNormal([batch, positions, f], 0, 1, 'float32', f),
      };
      const lv = c.left.dataSync();
      const rv = c.right.dataSync();
      const want: number[] = [];
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < k; i++) {
          for (let o = 0; o < f; o++) {
            let sum = 0;
            for (let t = 0; t < positions; t++) {
              sum += lv[(b * positions + t) * k + i]! * rv[(b * positions + t) * f + o]!;
            }
            want.push(sum);
          }
        }
      }
      const norms = variableNorms(c, [k, f], 'materialized');
      expect(relativeError(norms.perExample!.dataSync(), want)).toBeLessThanOrEqual(1e-6);
      expect(relativeError(materialize(c, [k, f]).dataSync(), want)).toBeLessThanOrEqual(1e-6);
      const wantNorms = Array.from({ length: batch }, (_, b) =>
        want.slice(b * k * f, (b + 1) * k * f).reduce((s, v) => s + v * v, 0),
      );
      expect(relativeError(norms.squaredNorms.dataSync(), wantNorms)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('sums over positions match float64 sums', () => {
    for (const shape of [
      [3, 5, 7],
      [2, 49, 64],
      [4, 1, 3],
    ] as [number, number, number][]) {
      const [batch, positions, features] = shape;
      const t = tf.randomNormal(shape, 0, 1, 'float32', positions) as tf.Tensor3D;
      const v = t.dataSync() as Float32Array;
      const want = Array.from({ length: batch * features }, (_, k) => {
        const b = Math.floor(k / features);
        let s = 0;
        for (let p = 0; p < positions; p++) s += v[(b * positions + p) * features + (k % features)]!;
        return s;
      });
      const got = sumOverPositionsWasm(t)!;
      expect(got.shape).toEqual([batch, features]);
      expect(relativeError(got.dataSync(), want)).toBeLessThanOrEqual(1e-6);
      tf.dispose([t, got]);
    }
  });

  it('the embedded module stays small enough for synchronous compilation in browsers (4 KB)', () => {
    expect(atob(PER_EXAMPLE_WASM_BASE64).length).toBeLessThanOrEqual(4096);
  });

  it('fast paths step aside on the cpu backend and when disabled', async () => {
    const g = tf.ones([2, 4]) as tf.Tensor2D;
    setPerExampleSimdEnabled(false);
    expect(rowSquaredNormsWasm(g)).toBeUndefined();
    setPerExampleSimdEnabled(true);
    await tf.setBackend('cpu');
    const gc = tf.ones([2, 4]) as tf.Tensor2D;
    expect(rowSquaredNormsWasm(gc)).toBeUndefined();
    gc.dispose();
    await tf.setBackend('wasm');
    g.dispose();
  });

  it('book-keeping on wasm matches the example-by-example reference with and without the SIMD paths', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [8, 8, 2],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, activation: 'tanh' }),
        tfl.layers.reshape({ targetShape: [4, 5] }),
        tfl.layers.conv1d({ filters: 3, kernelSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const x = tf.randomNormal([6, 8, 8, 2], 0, 1, 'float32', 11);
    const y = tf.randomNormal([6, 2], 0, 1, 'float32', 12);
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.2);
    expect(reference.norms.some((n) => n > 0.2)).toBe(true);
    await tf.setBackend('wasm');
    const conv2dCalls: number[] = [];
    for (const simd of [true, false]) {
      setPerExampleSimdEnabled(simd);
      for (const physicalBatchSize of [6, 4]) {
        let result: ReturnType<typeof computeClippedGradients> | undefined;
        const profile = await tf.profile(() => {
          result = computeClippedGradients({
            model,
            lossFn: mseLoss,
            x,
            y,
            maxGradNorm: 0.2,
            physicalBatchSize,
          });
        });
        conv2dCalls.push(profile.kernels.filter((k) => k.name === 'Conv2D').length);
        expect(maxRelativeError(result!.gradients, reference.sums), `simd ${simd}`).toBeLessThanOrEqual(1e-5);
        disposeResult(result!);
      }
    }
    setPerExampleSimdEnabled(true);
    // With the SIMD path the only Conv2D calls are the forward passes (3 convolutions, 2 chunks with physical
    // batch 4); the fallback also extracts image patches with convolutions.
    expect(conv2dCalls[0]).toBe(3);
    expect(conv2dCalls[1]).toBe(6);
    expect(conv2dCalls[2]).toBeGreaterThan(3);
  });
});
