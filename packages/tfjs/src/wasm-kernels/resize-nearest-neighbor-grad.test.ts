import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerResizeNearestNeighborGradFix,
  resizeNearestNeighborGradValues,
} from './resize-nearest-neighbor-grad';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * The gradient is the adjoint of the forward resize: ⟨resize(x), dy⟩ = ⟨x, grad(dy)⟩ for all x and dy. With
 * one-hot x this pins every entry of grad(dy), independently of how the kernel computes it.
 */
function adjointError(
  shape: {
    batch: number;
    height: number;
    width: number;
    channels: number;
    outHeight: number;
    outWidth: number;
  },
  alignCorners: boolean,
  halfPixelCenters: boolean,
  seed: number,
): number {
  const { batch, height, width, channels, outHeight, outWidth } = shape;
  return tf.tidy(() => {
    const x = tf.randomNormal([batch, height, width, channels], 0, 1, 'float32', seed);
    const dy = tf.randomNormal([batch, outHeight, outWidth, channels], 0, 1, 'float32', seed + 1);
    const forward = tf.image.resizeNearestNeighbor(
      x as tf.Tensor4D,
      [outHeight, outWidth],
      alignCorners,
      halfPixelCenters,
    );
    const grad = tf.grad((input: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.image.resizeNearestNeighbor(
            input as tf.Tensor4D,
            [outHeight, outWidth],
            alignCorners,
            halfPixelCenters,
          ),
          dy,
        ),
      ),
    )(x);
    const lhs = dot(forward.dataSync(), dy.dataSync());
    const rhs = dot(x.dataSync(), grad.dataSync());
    const scale = Math.sqrt(dot(dy.dataSync(), dy.dataSync()) * dot(x.dataSync(), x.dataSync()));
    return Math.abs(lhs - rhs) / scale;
  });
}

describe('resizeNearestNeighborGradValues', () => {
  it('adds each dy pixel to the input pixel it was copied from (brute force over one-hot inputs)', () => {
    const imagesShape: [number, number, number, number] = [2, 3, 2, 2];
    const dyShape = [2, 5, 4, 2];
    const dy = Float32Array.from({ length: 80 }, (_, i) => Math.sin(i + 1));
    for (const [alignCorners, halfPixelCenters] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const grad = resizeNearestNeighborGradValues(dy, dyShape, imagesShape, alignCorners, halfPixelCenters);
      // Entry k of the gradient is ⟨resize(e_k), dy⟩, with resize evaluated by the cpu forward kernel.
      const expected = tf.tidy(() =>
        Array.from({ length: 24 }, (_, k) => {
          const oneHot = tf.reshape(tf.oneHot(k, 24), imagesShape) as tf.Tensor4D;
          return dot(
            tf.image.resizeNearestNeighbor(oneHot, [5, 4], alignCorners, halfPixelCenters).dataSync(),
            dy,
          );
        }),
      );
      for (let k = 0; k < 24; k++) expect(grad[k]).toBeCloseTo(expected[k]!, 5);
    }
  });

  it('refuses dy whose batch or channels differ from the images', () => {
    expect(() =>
      resizeNearestNeighborGradValues(new Float32Array(8), [2, 2, 2, 1], [1, 1, 1, 1], false, false),
    ).toThrow(/does not match images/);
  });
});

const batchOfThree = { batch: 3, height: 2, width: 3, channels: 2, outHeight: 4, outWidth: 6 };

// Before the fix is registered (the tests of a file run in order).
describe('the stock tfjs 4.22 kernels', () => {
  it('cpu: not the adjoint of the forward resize for a batch of 3 (why the fix exists)', async () => {
    await tf.setBackend('cpu');
    expect(adjointError(batchOfThree, false, false, 5)).toBeGreaterThan(1e-2);
  });

  it('wasm: not the adjoint of the forward resize when downsizing with halfPixelCenters', async () => {
    await tf.setBackend('wasm');
    const downsizing = { batch: 2, height: 1, width: 2, channels: 1, outHeight: 1, outWidth: 1 };
    expect(adjointError(downsizing, false, true, 1)).toBeGreaterThan(1e-2);
  });

  it('registering the fix replaces both, once', () => {
    expect(registerResizeNearestNeighborGradFix().sort()).toEqual(['cpu', 'wasm']);
    expect(registerResizeNearestNeighborGradFix()).toEqual([]);
  });
});

describe.each(['cpu', 'wasm'])('ResizeNearestNeighborGrad on %s', (backend) => {
  const shapes = fc.record({
    batch: fc.integer({ min: 2, max: 4 }),
    height: fc.integer({ min: 1, max: 5 }),
    width: fc.integer({ min: 1, max: 5 }),
    channels: fc.integer({ min: 1, max: 3 }),
    outHeight: fc.integer({ min: 1, max: 11 }),
    outWidth: fc.integer({ min: 1, max: 11 }),
  });

  it('is the adjoint of the forward resize for random shapes, batches and options', async () => {
    await tf.setBackend(backend);
    registerResizeNearestNeighborGradFix();
    await fc.assert(
      fc.asyncProperty(
        shapes,
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1 << 20 }),
        async (shape, alignCorners, halfPixelCenters, seed) => {
          // tfjs refuses alignCorners together with halfPixelCenters.
          if (alignCorners && halfPixelCenters) return;
          expect(adjointError(shape, alignCorners, halfPixelCenters, seed)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 40, seed: 13 },
    );
  });
});
