import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/wasm-kernels/register-wasm-training-kernels';
import { expectAllClose, expectWasmMatchesCpu, gradientOn, seededValues } from './kernel-test-utils';

const depthwiseCase = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 8 }),
    width: fc.integer({ min: 1, max: 8 }),
    channels: fc.integer({ min: 1, max: 4 }),
    multiplier: fc.integer({ min: 1, max: 3 }),
    filterHeight: fc.integer({ min: 1, max: 3 }),
    filterWidth: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter(
    (c) => (c.pad !== 'valid' && c.pad !== 0) || (c.height >= c.filterHeight && c.width >= c.filterWidth),
  );

type DepthwiseCase = typeof depthwiseCase extends fc.Arbitrary<infer T> ? T : never;

function depthwiseShapes(c: DepthwiseCase) {
  const xShape = [c.batch, c.height, c.width, c.channels] as [number, number, number, number];
  const filterShape = [c.filterHeight, c.filterWidth, c.channels, c.multiplier] as [
    number,
    number,
    number,
    number,
  ];
  const dyShape = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    c.stride,
    1,
    c.pad,
    undefined,
    true,
  ).outShape;
  return { xShape, filterShape, dyShape };
}

describe('depthwise convolution gradients and UnsortedSegmentSum on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  // Dilation 1 only: the cpu oracle's depthwise gradient kernels ignore dilations (tfjs gradients require 1).
  it('DepthwiseConv2dNativeBackpropFilter matches cpu on random shapes, multipliers, strides, paddings', async () => {
    await fc.assert(
      fc.asyncProperty(depthwiseCase, async (c) => {
        const { xShape, filterShape, dyShape } = depthwiseShapes(c);
        fc.pre(dyShape.every((d) => d > 0));
        await expectWasmMatchesCpu(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: { shape: xShape, seed: c.seed }, dy: { shape: dyShape, seed: c.seed + 1 } },
          { strides: c.stride, dilations: 1, pad: c.pad, dimRoundingMode: undefined, filterShape },
        );
      }),
      { numRuns: 40, seed: 20261128 },
    );
  });

  it('DepthwiseConv2dNativeBackpropInput matches cpu on random shapes, multipliers, strides, paddings', async () => {
    await fc.assert(
      fc.asyncProperty(depthwiseCase, async (c) => {
        const { xShape, filterShape, dyShape } = depthwiseShapes(c);
        fc.pre(dyShape.every((d) => d > 0));
        await expectWasmMatchesCpu(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: { shape: dyShape, seed: c.seed }, filter: { shape: filterShape, seed: c.seed + 1 } },
          { strides: c.stride, dilations: 1, pad: c.pad, dimRoundingMode: undefined, inputShape: xShape },
        );
      }),
      { numRuns: 40, seed: 20261129 },
    );
  });

  it('UnsortedSegmentSum matches cpu, skipping out-of-range ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        async (rows, rowShape, numSegments, seed) => {
          const xShape = [rows, ...rowShape];
          const xValues = seededValues(
            xShape.reduce((a, b) => a * b, 1),
            seed,
          );
          const ids = Array.from(
            seededValues(rows, seed + 1),
            (v) => Math.floor(((v + 1) / 2) * (numSegments + 2)) - 1,
          );
          const run = async (backendName: 'cpu' | 'wasm') => {
            await tf.setBackend(backendName);
            return tf.tidy(() =>
              tf
                .unsortedSegmentSum(tf.tensor(xValues, xShape), tf.tensor1d(ids, 'int32'), numSegments)
                .dataSync(),
            ) as Float32Array;
          };
          const wasm = await run('wasm');
          const cpu = await run('cpu');
          expectAllClose(wasm, cpu, 1e-6);
        },
      ),
      { numRuns: 40, seed: 20261130 },
    );
  });

  it('lets tf.grad of tf.gather (an Embedding lookup) run on wasm and agree with cpu', async () => {
    const indices = [3, 0, 3, 5, 1];
    const lookup = (table: tf.Tensor) => tf.gather(table, tf.tensor1d(indices, 'int32'));
    const wasm = await gradientOn('wasm', lookup, { shape: [6, 4], seed: 21 }, 22);
    const cpu = await gradientOn('cpu', lookup, { shape: [6, 4], seed: 21 }, 22);
    expect(wasm.shape).toEqual([6, 4]);
    expectAllClose(wasm.values, cpu.values, 1e-6);
  });
});
