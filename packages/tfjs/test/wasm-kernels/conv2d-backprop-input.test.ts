import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { patchMatrixBudget } from '../../src/wasm-kernels/conv2d-backprop-filter';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectWasmMatchesCpu } from './kernel-test-utils';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

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
    padNumber: fc.integer({ min: 0, max: 4 }),
    explicit: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
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

async function checkCase(c: ConvCase): Promise<void> {
  const inputShape: [number, number, number, number] =
    c.dataFormat === 'NHWC'
      ? [c.batch, c.height, c.width, c.inChannels]
      : [c.batch, c.inChannels, c.height, c.width];
  const filterShape = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels] as [
    number,
    number,
    number,
    number,
  ];
  const strides: [number, number] = [c.strideHeight, c.strideWidth];
  const pad = padOf(c);
  const dyShape = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    1,
    pad,
    undefined,
    false,
    c.dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst',
  ).outShape;
  fc.pre(dyShape.every((d) => d > 0));
  await expectWasmMatchesCpu(
    'Conv2DBackpropInput',
    { dy: { shape: dyShape, seed: c.seed }, filter: { shape: filterShape, seed: c.seed + 1 } },
    { strides, pad, dataFormat: c.dataFormat, dimRoundingMode: undefined, inputShape },
  );
}

describe('Conv2DBackpropInput on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('matches the cpu backend on random shapes, strides, paddings and data formats', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary, checkCase), { numRuns: 40, seed: 20261124 });
  });

  it('matches cpu on stride 1 with padding larger than the filter (the col2im path)', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropInput',
      { dy: { shape: [2, 10, 9, 3], seed: 3 }, filter: { shape: [2, 2, 4, 3], seed: 4 } },
      { strides: [1, 1], pad: 4, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [2, 3, 2, 4] },
    );
  });

  describe('with a patch-matrix budget that forces chunking over the batch', () => {
    const saved = patchMatrixBudget.maxFloats;
    beforeAll(() => {
      patchMatrixBudget.maxFloats = 40;
    });
    afterAll(() => {
      patchMatrixBudget.maxFloats = saved;
    });
    it('gives the same input gradient', async () => {
      await expectWasmMatchesCpu(
        'Conv2DBackpropInput',
        { dy: { shape: [5, 3, 3, 4], seed: 13 }, filter: { shape: [3, 3, 2, 4], seed: 14 } },
        {
          strides: [2, 2],
          pad: 'same',
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          inputShape: [5, 6, 5, 2],
        },
      );
    });
  });
});
