import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkingText, clippingMarkdown } from '../commands/compare-clipping';
import { type ClippingCellResult, clippingStep, ghostGramExplanation } from './cell';
import { CLIPPING_WORKLOADS, segmentationBatch } from './workloads';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function weightsAfterStep(
  method: Parameters<typeof clippingStep>[2],
  physicalBatchSize?: number,
): Float32Array[] {
  const workload = CLIPPING_WORKLOADS.cnn;
  const model = workload.createModel();
  const { x, y } = workload.batch(3, 11);
  clippingStep(workload, model, method, x, y, 0.5, physicalBatchSize);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

describe('clipping comparison', () => {
  it('every per-example method takes the same clipped step (they differ in cost only)', () => {
    const reference = weightsAfterStep('loop');
    const initial = (() => {
      const model = CLIPPING_WORKLOADS.cnn.createModel();
      const w = model.getWeights().map((t) => t.dataSync() as Float32Array);
      model.dispose();
      return w;
    })();
    expect(reference.some((w, i) => w.some((v, j) => v !== initial[i]![j]))).toBe(true);
    for (const method of ['materialized', 'ghost', 'mixed-ghost', 'bookkeeping'] as const) {
      const weights = weightsAfterStep(method);
      weights.forEach((w, i) => {
        for (let j = 0; j < w.length; j += 97) expect(w[j]).toBeCloseTo(reference[i]![j]!, 5);
      });
    }
  });

  it('processing a batch in physical chunks gives the same step', () => {
    for (const method of ['non-private', 'bookkeeping', 'mixed-ghost'] as const) {
      const whole = weightsAfterStep(method);
      const chunked = weightsAfterStep(method, 2);
      whole.forEach((w, i) => {
        for (let j = 0; j < w.length; j += 89) expect(chunked[i]![j]).toBeCloseTo(w[j]!, 5);
      });
    }
  });

  it('segmentation batches mark exactly the bright rectangle', () => {
    const { x, y } = segmentationBatch(4, 5);
    const images = x.dataSync() as Float32Array;
    const masks = y.dataSync() as Float32Array;
    for (let i = 0; i < masks.length; i += 1) {
      if (masks[i] === 1) expect(images[i]).toBeGreaterThanOrEqual(0.7);
      else expect(images[i]).toBeLessThan(0.31);
    }
    expect(masks.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4 * 64);
    tf.dispose([x, y]);
  });

  it('tabulates samples/s with the slowdown against non-private, and lists failed cells', () => {
    const cell = (method: string, samplesPerSecond: number | null): ClippingCellResult =>
      ({
        model: 'cnn',
        method,
        batchSize: 64,
        status: samplesPerSecond == null ? 'failed' : 'ok',
        ...(samplesPerSecond == null ? { note: 'RangeError: out of memory' } : {}),
        samplesPerSecond,
        stepTimeMs: samplesPerSecond == null ? null : 64_000 / samplesPerSecond,
        peakMemoryMiB: 300,
        steps: 1,
      }) as ClippingCellResult;
    const markdown = clippingMarkdown(
      [cell('non-private', 1000), cell('bookkeeping', 500), cell('ghost', null)],
      ['cnn'],
      [64],
      ['non-private', 'bookkeeping', 'ghost'],
    );
    expect(markdown).toContain('| non-private | 1000 / 300 |');
    expect(markdown).toContain('| bookkeeping | 500 (2.00x) / 300 |');
    expect(markdown).toContain('| ghost | failed |');
    expect(markdown).toContain('- cnn ghost batch 64: RangeError: out of memory');
  });

  it('each workload declares the positions of its largest layer output', () => {
    for (const workload of Object.values(CLIPPING_WORKLOADS)) {
      const model = workload.createModel();
      // Positions: the axes between the batch and the features (height × width, or sequence steps).
      const positions = model.layers
        .filter((layer) => layer.trainableWeights.length > 0)
        .map((layer) => layer.outputShape as (number | null)[])
        .map((shape) => shape.slice(1, -1).reduce<number>((a, b) => a * b!, 1));
      expect(Math.max(...positions), workload.name).toBe(workload.largestLayerPositions);
      model.dispose();
    }
  });

  it('explains a pure ghost failure by the size of its Gram matrices', () => {
    // U-Net: T = 4096, 2 · 4096² · 4 bytes = 128 MiB per example, 8 GiB for 64 examples.
    const unet = ghostGramExplanation(CLIPPING_WORKLOADS.unet, 64);
    expect(unet).toContain('T = 4096 positions: 128 MiB per example, 8.0 GiB for a chunk of 64');
    expect(unet).toContain('beyond the 4 GiB wasm heap');
    // CNN: T = 784, 2 · 784² · 4 = 4.7 MiB per example; 1.2 GiB for 256 fits.
    const cnn = ghostGramExplanation(CLIPPING_WORKLOADS.cnn, 256);
    expect(cnn).toContain('T = 784 positions: 5 MiB per example, 1.2 GiB for a chunk of 256');
    expect(cnn).not.toContain('beyond');
  });

  it('states the chunking of each model in the table heading', () => {
    expect(chunkingText({ unet: 64 }, 'unet', [64, 256, 1024])).toBe(
      'physical chunks of 64 examples for every method at batch 256, 1024 (batch 64: one chunk)',
    );
    expect(chunkingText({ unet: 64 }, 'cnn', [64, 256])).toBe('whole batches (one chunk)');
    const markdown = clippingMarkdown([], ['cnn'], [64, 1024], ['mixed-ghost'], { cnn: 256 });
    expect(markdown).toContain(
      '**cnn** — samples/s (slowdown vs non-private) / peak RSS MiB; physical chunks of 256 examples for every method at batch 1024 (batch 64: one chunk)',
    );
    expect(markdown).toContain('| mixed-ghost | – | – |');
  });
});
