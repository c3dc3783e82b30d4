import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv3dBackpropInputValues } from '../../src/wasm-kernels/conv3d-backprop';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectWasmMatchesCpu, gradientOn, seededValues } from './kernel-test-utils';

type Pad = 'same' | 'valid';

const caseArbitrary = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    depth: fc.integer({ min: 1, max: 6 }),
    height: fc.integer({ min: 1, max: 6 }),
    width: fc.integer({ min: 1, max: 6 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 4 }),
    filter: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    pad: fc.constantFrom<Pad>('same', 'valid'),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter(
    (c) =>
      c.pad !== 'valid' || (c.depth >= c.filter[0]! && c.height >= c.filter[1]! && c.width >= c.filter[2]!),
  );

type ConvCase = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function shapesOf(c: ConvCase) {
  const xShape: [number, number, number, number, number] = [
    c.batch,
    c.depth,
    c.height,
    c.width,
    c.inChannels,
  ];
  const filterShape = [...c.filter, c.inChannels, c.outChannels] as [number, number, number, number, number];
  const strides = c.strides as [number, number, number];
  const info = tf.backend_util.computeConv3DInfo(xShape, filterShape, strides, 1, c.pad);
  return { xShape, filterShape, strides, info };
}

describe('Conv3D gradients on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('the stock tfjs-backend-wasm 4.22 kernels disagree with cpu (why the replacements exist)', async () => {
    unregisterWasmTrainingKernels();
    const filter = tf.tensor(seededValues(2 * 2 * 2 * 2 * 3, 2), [2, 2, 2, 2, 3]) as tf.Tensor5D;
    try {
      const input = (x: tf.Tensor) => tf.conv3d(x as tf.Tensor5D, filter, 1, 'valid');
      const wasm = await gradientOn('wasm', input, { shape: [2, 4, 3, 4, 2], seed: 1 }, 3);
      const cpu = await gradientOn('cpu', input, { shape: [2, 4, 3, 4, 2], seed: 1 }, 3);
      let worst = 0;
      for (let i = 0; i < cpu.values.length; i++) {
        worst = Math.max(worst, Math.abs(wasm.values[i]! - cpu.values[i]!));
      }
      expect(worst).toBeGreaterThan(1e-2);
    } finally {
      filter.dispose();
      registerWasmTrainingKernels();
    }
  });

  it('Conv3DBackpropInputV2 matches the cpu backend on random shapes, strides and paddings', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const { xShape, filterShape, strides, info } = shapesOf(c);
        fc.pre(info.outShape.every((d) => d > 0));
        await expectWasmMatchesCpu(
          'Conv3DBackpropInputV2',
          { dy: { shape: info.outShape, seed: c.seed }, filter: { shape: filterShape, seed: c.seed + 1 } },
          { strides, pad: c.pad, inputShape: xShape },
        );
      }),
      { numRuns: 60, seed: 20261203 },
    );
  });

  it('Conv3DBackpropFilterV2 matches the cpu backend on random shapes, strides and paddings', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const { xShape, filterShape, strides, info } = shapesOf(c);
        fc.pre(info.outShape.every((d) => d > 0));
        await expectWasmMatchesCpu(
          'Conv3DBackpropFilterV2',
          { x: { shape: xShape, seed: c.seed }, dy: { shape: info.outShape, seed: c.seed + 1 } },
          { strides, pad: c.pad, filterShape },
        );
      }),
      { numRuns: 60, seed: 20261204 },
    );
  });

  it('the input gradient of one example depends on that example only (batch of 3 against batch of 1)', () => {
    const { filterShape, info } = shapesOf({
      batch: 3,
      depth: 4,
      height: 5,
      width: 3,
      inChannels: 2,
      outChannels: 3,
      filter: [2, 3, 2],
      strides: [2, 1, 2],
      pad: 'same',
      seed: 1,
    });
    const single = tf.backend_util.computeConv3DInfo([1, 4, 5, 3, 2], filterShape, [2, 1, 2], 1, 'same');
    const filter = seededValues(
      filterShape.reduce((a, b) => a * b),
      7,
    );
    const dy = seededValues(
      info.outShape.reduce((a, b) => a * b),
      8,
    );
    const dx = new Float32Array(info.inShape.reduce((a, b) => a * b));
    conv3dBackpropInputValues(dy, filter, info, dx);
    const perDy = dy.length / 3;
    const perDx = dx.length / 3;
    for (let b = 0; b < 3; b++) {
      const own = new Float32Array(perDx);
      conv3dBackpropInputValues(dy.subarray(b * perDy, (b + 1) * perDy), filter, single, own);
      expect(Array.from(dx.subarray(b * perDx, (b + 1) * perDx))).toEqual(Array.from(own));
    }
  });
});
