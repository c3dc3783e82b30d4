import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { registerKernelFixes } from '../../src/wasm-kernels/kernel-fixes';
import {
  expectAllClose,
  expectWasmMatchesCpu,
  gradientOn,
  runKernelOn,
  seededValues,
  specValues,
} from './kernel-test-utils';

const caseArbitrary = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    depth: fc.integer({ min: 1, max: 5 }),
    height: fc.integer({ min: 1, max: 5 }),
    width: fc.integer({ min: 1, max: 5 }),
    channels: fc.integer({ min: 1, max: 3 }),
    filter: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter(
    (c) =>
      c.pad !== 'valid' || (c.depth >= c.filter[0]! && c.height >= c.filter[1]! && c.width >= c.filter[2]!),
  );

type PoolCase = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

/**
 * The gradient of max pooling from the forward output alone (cpu): with distinct input values, each window's
 * `dy` goes to the one input of the window equal to the window's output.
 */
async function oracle(c: PoolCase, weightSeed: number): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const shape = [c.batch, c.depth, c.height, c.width, c.channels] as [number, number, number, number, number];
  const x = specValues({ shape, seed: c.seed });
  const pooled = tf.tidy(() =>
    tf.maxPool3d(tf.tensor(x, shape) as tf.Tensor5D, c.filter as never, c.strides as never, c.pad).dataSync(),
  );
  const info = tf.backend_util.computePool3DInfo(shape, c.filter as never, c.strides as never, 1, c.pad);
  const dy = seededValues(pooled.length, weightSeed);
  const dx = new Float32Array(x.length);
  let out = 0;
  for (let b = 0; b < c.batch; b++) {
    for (let od = 0; od < info.outDepth; od++) {
      for (let oh = 0; oh < info.outHeight; oh++) {
        for (let ow = 0; ow < info.outWidth; ow++) {
          for (let ch = 0; ch < c.channels; ch++, out++) {
            let hits = 0;
            for (let kd = 0; kd < c.filter[0]!; kd++) {
              for (let kh = 0; kh < c.filter[1]!; kh++) {
                for (let kw = 0; kw < c.filter[2]!; kw++) {
                  const d = od * info.strideDepth - info.padInfo.front + kd;
                  const h = oh * info.strideHeight - info.padInfo.top + kh;
                  const w = ow * info.strideWidth - info.padInfo.left + kw;
                  if (d < 0 || h < 0 || w < 0 || d >= c.depth || h >= c.height || w >= c.width) continue;
                  const index = (((b * c.depth + d) * c.height + h) * c.width + w) * c.channels + ch;
                  // The cpu forward output is the window's maximum, so this oracle needs no other kernel.
                  expect(x[index]!).toBeLessThanOrEqual(pooled[out]!);
                  if (x[index] === pooled[out]) {
                    dx[index]! += dy[out]!;
                    hits++;
                  }
                }
              }
            }
            expect(hits).toBe(1);
          }
        }
      }
    }
  }
  return dx;
}

const notCubic: PoolCase = {
  batch: 2,
  depth: 3,
  height: 4,
  width: 5,
  channels: 2,
  filter: [1, 2, 3],
  strides: [1, 1, 1],
  pad: 'same',
  seed: 3,
};

const sameCubes: PoolCase = { ...notCubic, depth: 5, filter: [2, 2, 2], strides: [2, 2, 2] };

async function stockGradient(backend: 'cpu' | 'wasm', c: PoolCase): Promise<Float32Array> {
  const shape = [c.batch, c.depth, c.height, c.width, c.channels];
  const pool = (x: tf.Tensor) => tf.maxPool3d(x as tf.Tensor5D, c.filter as never, c.strides as never, c.pad);
  return (await gradientOn(backend, pool, { shape, seed: c.seed }, 4)).values;
}

// Before the fixes are registered (the tests of a file run in order).
describe('the stock tfjs 4.22 MaxPool3D and MaxPool3DGrad kernels (why the replacements exist)', () => {
  it('wasm: the forward pass differs from cpu with 2×2×2 windows', async () => {
    const attrs = { filterSize: 2, strides: 1, pad: 'valid', dataFormat: 'NDHWC' };
    const x = { x: { shape: [2, 4, 5, 6, 2], seed: 1 } };
    const wasm = await runKernelOn('wasm', 'MaxPool3D', x, attrs);
    const cpu = await runKernelOn('cpu', 'MaxPool3D', x, attrs);
    expect(() => expectAllClose(wasm.values, cpu.values, 1e-3)).toThrow();
  });

  it("wasm: wrong with 'same' padding", async () => {
    const stock = await stockGradient('wasm', sameCubes);
    const expected = await oracle(sameCubes, 4);
    expect(() => expectAllClose(stock, expected, 1e-3)).toThrow();
  });

  it('cpu: wrong with a window that is not a cube', async () => {
    const stock = await stockGradient('cpu', notCubic);
    const expected = await oracle(notCubic, 4);
    expect(() => expectAllClose(stock, expected, 1e-3)).toThrow();
  });

  it('registering the fixes replaces both, once', async () => {
    await tf.setBackend('wasm');
    const registered = registerKernelFixes();
    expect(registered).toContain('MaxPool3DGrad/cpu');
    expect(registered).toContain('MaxPool3DGrad/wasm');
    expect(registered).toContain('MaxPool3D/wasm');
    expect(registerKernelFixes()).toEqual([]);
  });
});

describe('MaxPool3D on wasm', () => {
  it('matches the cpu backend on random shapes, windows, strides and paddings', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const shape = [c.batch, c.depth, c.height, c.width, c.channels];
        const attrs = { filterSize: c.filter, strides: c.strides, pad: c.pad, dataFormat: 'NDHWC' };
        const info = tf.backend_util.computePool3DInfo(
          shape as never,
          c.filter as never,
          c.strides as never,
          1,
          c.pad,
        );
        fc.pre(info.outShape.every((d) => d > 0));
        await expectWasmMatchesCpu('MaxPool3D', { x: { shape, seed: c.seed } }, attrs, 0);
      }),
      { numRuns: 60, seed: 20261206 },
    );
  });
});

describe.each(['cpu', 'wasm'] as const)('MaxPool3DGrad on %s', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches the gradient read off the forward output, on random shapes, windows, strides and paddings', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const shape = [c.batch, c.depth, c.height, c.width, c.channels];
        const info = tf.backend_util.computePool3DInfo(
          shape as never,
          c.filter as never,
          c.strides as never,
          1,
          c.pad,
        );
        fc.pre(info.outShape.every((d) => d > 0));
        const got = await gradientOn(
          backend,
          (x) => tf.maxPool3d(x as tf.Tensor5D, c.filter as never, c.strides as never, c.pad),
          { shape, seed: c.seed },
          c.seed + 1,
        );
        expectAllClose(got.values, await oracle(c, c.seed + 1), 1e-6);
      }),
      { numRuns: 60, seed: 20261205 },
    );
  });
});
