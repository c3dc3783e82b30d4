import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchMatrixBudget } from '../../src/wasm-kernels/conv2d-backprop-filter';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels, setWasmSimdKernelsEnabled } from '../../src/wasm-kernels/simd-kernels';
import { expectWasmMatchesCpu, seededValues } from './kernel-test-utils';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

function convOutShape(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dataFormat: 'NHWC' | 'NCHW',
): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    undefined,
    false,
    dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst',
  );
  return info.outShape;
}

const caseArbitrary = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    inChannels: fc.integer({ min: 1, max: 4 }),
    outChannels: fc.integer({ min: 1, max: 5 }),
    filterHeight: fc.integer({ min: 1, max: 4 }),
    filterWidth: fc.integer({ min: 1, max: 4 }),
    strideHeight: fc.integer({ min: 1, max: 3 }),
    strideWidth: fc.integer({ min: 1, max: 3 }),
    padKind: fc.constantFrom('same', 'valid', 'number', 'explicit'),
    padNumber: fc.integer({ min: 0, max: 2 }),
    explicit: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    dataFormat: fc.constantFrom('NHWC', 'NCHW'),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter((c) => c.padKind !== 'valid' || (c.height >= c.filterHeight && c.width >= c.filterWidth));

type ConvCase = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function padOf(c: ConvCase): Pad {
  if (c.padKind === 'same' || c.padKind === 'valid') return c.padKind;
  if (c.padKind === 'number') return c.padNumber;
  const [t, b, l, r] = c.explicit as [number, number, number, number];
  return c.dataFormat === 'NHWC'
    ? [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ]
    : [
        [0, 0],
        [0, 0],
        [t, b],
        [l, r],
      ];
}

describe.each([
  { path: 'WASM SIMD module', simd: true },
  { path: 'pure JS fallback', simd: false },
])('Conv2DBackpropFilter on wasm ($path)', ({ simd }) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    expect(await loadWasmSimdKernels()).toBe(true);
    setWasmSimdKernelsEnabled(simd);
  });

  it('matches the cpu backend on random shapes, strides, paddings and data formats', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const xShape: [number, number, number, number] =
          c.dataFormat === 'NHWC'
            ? [c.batch, c.height, c.width, c.inChannels]
            : [c.batch, c.inChannels, c.height, c.width];
        const filterShape: [number, number, number, number] = [
          c.filterHeight,
          c.filterWidth,
          c.inChannels,
          c.outChannels,
        ];
        const strides: [number, number] = [c.strideHeight, c.strideWidth];
        const pad = padOf(c);
        const dyShape = convOutShape(xShape, filterShape, strides, pad, c.dataFormat as 'NHWC' | 'NCHW');
        fc.pre(dyShape.every((d) => d > 0));
        await expectWasmMatchesCpu(
          'Conv2DBackpropFilter',
          { x: { shape: xShape, seed: c.seed }, dy: { shape: dyShape, seed: c.seed + 1 } },
          { strides, pad, dataFormat: c.dataFormat, dimRoundingMode: undefined, filterShape },
        );
      }),
      { numRuns: 40, seed: 20261123 },
    );
  });

  describe('with a patch-matrix budget that forces chunking over the batch', () => {
    const saved = patchMatrixBudget.maxFloats;
    beforeAll(() => {
      patchMatrixBudget.maxFloats = 50;
    });
    afterAll(() => {
      patchMatrixBudget.maxFloats = saved;
    });
    it('gives the same filter gradient', async () => {
      await expectWasmMatchesCpu(
        'Conv2DBackpropFilter',
        { x: { shape: [5, 6, 5, 3], seed: 11 }, dy: { shape: [5, 6, 5, 4], seed: 12 } },
        {
          strides: [1, 1],
          pad: 'same',
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          filterShape: [3, 3, 3, 4],
        },
      );
    });
  });

  it('lets tf.grad of a convolution run on wasm and agree with cpu', async () => {
    const xValues = seededValues(2 * 7 * 7 * 3, 5);
    const wValues = seededValues(3 * 3 * 3 * 4, 6);
    const gradients = async (backendName: string) => {
      await tf.setBackend(backendName);
      return tf.tidy(() => {
        const x = tf.tensor4d(xValues, [2, 7, 7, 3]);
        const w = tf.tensor4d(wValues, [3, 3, 3, 4]);
        const loss = (filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, 2, 'same')));
        return tf.grad(loss)(w).dataSync() as Float32Array;
      });
    };
    const wasm = await gradients('wasm');
    const cpu = await gradients('cpu');
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < wasm.length; i++) expect(wasm[i]).toBeCloseTo(cpu[i]!, 3);
  });
});
