import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';
import { collectTrainableLayers } from '../src/per-example/model-layers';
import { recordPerExampleGradients } from '../src/per-example/recording';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const methods: PerExampleMethod[] = ['bookkeeping', 'materialized', 'ghost', 'mixed-ghost', 'loop'];

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function expectMatchesReference(
  model: tfl.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  maxGradNorm: number,
  lossFn = mseLoss,
  which: PerExampleMethod[] = methods,
) {
  const reference = referenceClippedSums(model, lossFn, x, y, maxGradNorm);
  expect(reference.norms.some((n) => n > maxGradNorm)).toBe(true);
  for (const method of which) {
    const result = computeClippedGradients({ model, lossFn, x, y, maxGradNorm, perExampleMethod: method });
    expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
    disposeResult(result);
  }
}

describe('model structures', () => {
  it('functional model with branches, a residual add and a nested Sequential head', () => {
    const input = tfl.input({ shape: [6] });
    const a = tfl.layers.dense({ units: 5, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 5, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const residual = tfl.layers
      .add()
      .apply([sum, tfl.layers.dense({ units: 5 }).apply(sum) as tfl.SymbolicTensor]);
    const head = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 4, activation: 'relu' }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const output = head.apply(residual) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    expectMatchesReference(model, rand([7, 6], 1), rand([7, 2], 2), 0.4);
  });

  it('a shared layer applied twice: per-example gradients summed across calls before the norm', () => {
    const input = tfl.input({ shape: [4] });
    const shared = tfl.layers.dense({ units: 4, activation: 'tanh' });
    const once = shared.apply(input) as tfl.SymbolicTensor;
    const twice = shared.apply(once) as tfl.SymbolicTensor;
    const conv = tfl.input({ shape: [5, 5, 2] });
    const sharedConv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' });
    const c2 = sharedConv.apply(sharedConv.apply(conv)) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(c2) as tfl.SymbolicTensor;
    const merged = tfl.layers.concatenate().apply([twice, flat]) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 2 }).apply(merged) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [input, conv], outputs: output });
    expectMatchesReference(model, [rand([5, 4], 3), rand([5, 5, 5, 2], 4)], rand([5, 2], 5), 0.3);
  });

  it('excludes trainable = false layers and frozen variables', () => {
    const frozenLayer = tfl.layers.dense({ inputShape: [5], units: 4, activation: 'relu' });
    const partly = tfl.layers.dense({ units: 3, activation: 'tanh' });
    const model = tfl.sequential({ layers: [frozenLayer, partly, tfl.layers.dense({ units: 2 })] });
    // Freeze after the lazy Sequential build, which resets every variable's trainable flag.
    model.build();
    frozenLayer.trainable = false;
    partly.weights[1]!.trainable = false; // the bias
    const result = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x: rand([6, 5], 6),
      y: rand([6, 2], 7),
      maxGradNorm: 0.2,
    });
    const names = [...result.gradients.keys()].sort();
    expect(names).toEqual(model.trainableWeights.map((v) => v.name).sort());
    expect(names).not.toContain(frozenLayer.weights[0]!.name);
    expect(names).not.toContain(partly.weights[1]!.name);
    disposeResult(result);
    expectMatchesReference(model, rand([6, 5], 6), rand([6, 2], 7), 0.2);
  });

  it('U-Net-like model (Conv2D, Conv2DTranspose, UpSampling2D, Concatenate) with a per-pixel loss averaged per example', () => {
    const input = tfl.input({ shape: [8, 8, 1] });
    const e1 = tfl.layers
      .conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(input) as tfl.SymbolicTensor;
    const down = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
      .apply(e1) as tfl.SymbolicTensor;
    const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(down) as tfl.SymbolicTensor;
    const up1 = tfl.layers
      .upSampling2d({ size: [2, 2], interpolation: 'bilinear' })
      .apply(pooled) as tfl.SymbolicTensor;
    const mid = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(up1) as tfl.SymbolicTensor;
    const up2 = tfl.layers
      .conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, padding: 'same' })
      .apply(mid) as tfl.SymbolicTensor;
    const skip = tfl.layers.concatenate().apply([up2, e1]) as tfl.SymbolicTensor;
    const output = tfl.layers
      .conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' })
      .apply(skip) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const masks = tf.cast(tf.greater(rand([4, 8, 8, 1], 9), 0), 'float32');
    const perPixelBce = (yTrue: tf.Tensor, yPred: tf.Tensor) => {
      const p = tf.clipByValue(yPred, 1e-6, 1 - 1e-6);
      const bce = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
      return tf.mean(bce, [1, 2, 3]);
    };
    expectMatchesReference(model, rand([4, 8, 8, 1], 8), masks, 0.05, perPixelBce, [
      'bookkeeping',
      'ghost',
      'mixed-ghost',
    ]);
  });
});

describe('batch handling', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const x = rand([7, 5, 5, 1], 10);
  const y = rand([7, 2], 11);

  it('a huge threshold reproduces the ordinary batch gradient', () => {
    const { grads } = tf.variableGrads(
      () => tf.sum(mseLoss(y, model.apply(x) as tf.Tensor)) as tf.Scalar,
      model.trainableWeights.map((v) => v.read() as tf.Variable),
    );
    const expected = new Map(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v.dataSync())]));
    for (const method of methods) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        maxGradNorm: 1e9,
        perExampleMethod: method,
      });
      expect(maxRelativeError(result.gradients, expected)).toBeLessThanOrEqual(1e-5);
      expect(Array.from(result.clipFactors.dataSync())).toEqual(new Array(7).fill(1));
      expect([...result.gradients.keys()]).toEqual(model.trainableWeights.map((v) => v.name));
      disposeResult(result);
    }
  });

  it('physical chunks (last one padded) give the same result as one chunk', () => {
    const whole = computeClippedGradients({ model, lossFn: mseLoss, x, y, maxGradNorm: 0.3 });
    const chunked = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x,
      y,
      maxGradNorm: 0.3,
      physicalBatchSize: 3,
    });
    const expected = new Map([...whole.gradients].map(([k, v]) => [k, Float64Array.from(v.dataSync())]));
    expect(maxRelativeError(chunked.gradients, expected)).toBeLessThanOrEqual(1e-5);
    expect(chunked.perExampleNorms.shape).toEqual([7]);
    expect(chunked.loss.dataSync()[0]).toBeCloseTo(whole.loss.dataSync()[0]!, 5);
    disposeResult(whole);
    disposeResult(chunked);
  });

  it('a physical batch larger than the logical one (fixed shape for Poisson batches) changes nothing', () => {
    const whole = computeClippedGradients({ model, lossFn: mseLoss, x, y, maxGradNorm: 0.3 });
    const padded = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x,
      y,
      maxGradNorm: 0.3,
      physicalBatchSize: 10,
    });
    const expected = new Map([...whole.gradients].map(([k, v]) => [k, Float64Array.from(v.dataSync())]));
    expect(maxRelativeError(padded.gradients, expected)).toBeLessThanOrEqual(1e-6);
    expect(padded.clipFactors.shape).toEqual([7]);
    expect(padded.exampleCount).toBe(7);
    disposeResult(whole);
    disposeResult(padded);
  });

  it('a mask drops padded examples exactly', () => {
    const mask = [1, 0, 1, 1, 0, 1, 1];
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.3, mask);
    for (const method of methods) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        maxGradNorm: 0.3,
        mask,
        perExampleMethod: method,
      });
      expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
      expect(result.exampleCount).toBe(5);
      const factors = result.clipFactors.dataSync();
      expect(factors[1]).toBe(0);
      expect(factors[4]).toBe(0);
      disposeResult(result);
    }
  });

  it("with nonFinite 'skip', drops an example whose gradient is not finite instead of making the sum NaN", () => {
    const poisoned = tf.tidy(() => {
      const rows = tf.unstack(x);
      rows[2] = tf.fill(rows[2]!.shape, Number.NaN);
      return tf.stack(rows);
    });
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.3, [1, 1, 0, 1, 1, 1, 1]);
    for (const method of ['bookkeeping', 'materialized', 'loop'] as const) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x: poisoned,
        y,
        maxGradNorm: 0.3,
        perExampleMethod: method,
        nonFinite: 'skip',
      });
      expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
      expect(result.clipFactors.dataSync()[2]).toBe(0);
      expect(result.skippedExamples).toBe(1);
      // By default the batch is refused, naming the example and where it is not finite.
      expect(() =>
        computeClippedGradients({
          model,
          lossFn: mseLoss,
          x: poisoned,
          y,
          maxGradNorm: 0.3,
          perExampleMethod: method,
        }),
      ).toThrow(/positions 2 \(inputs, loss, gradient\)/);
      expect(Number.isFinite(result.loss.dataSync()[0]!)).toBe(true);
      disposeResult(result);
    }
    for (const method of ['ghost', 'mixed-ghost'] as const) {
      expect(() =>
        computeClippedGradients({
          model,
          lossFn: mseLoss,
          x: poisoned,
          y,
          maxGradNorm: 0.3,
          perExampleMethod: method,
          nonFinite: 'skip',
        }),
      ).toThrow(new RegExp(`non-finite gradient: perExampleMethod "${method}"`));
    }
    poisoned.dispose();
  });

  it('keeps the tensor count flat over many steps', () => {
    const step = () =>
      disposeResult(
        computeClippedGradients({ model, lossFn: mseLoss, x, y, maxGradNorm: 0.3, physicalBatchSize: 4 }),
      );
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the book-keeping backward pass computes no weight gradient', () => {
  it('has no Conv2DBackpropFilter and no weight-shaped matMul, unlike ordinary autodiff', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
        tfl.layers.conv2d({ filters: 5, kernelSize: 2, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 7, activation: 'relu' }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const x = rand([4, 6, 6, 1], 12);
    const y = rand([4, 2], 13);
    const entries = collectTrainableLayers(model);
    const weightShapes = model.trainableWeights
      .filter((v) => v.shape.length === 2)
      .map((v) => v.shape.join(','));
    const weightProducts = (kernels: { name: string; outputShapes: number[][] }[]) =>
      kernels.filter(
        (k) =>
          k.name === 'BatchMatMul' &&
          k.outputShapes.some((s) =>
            weightShapes.includes(s.filter((_, i) => s.length === 2 || i > 0).join(',')),
          ),
      ).length;
    const mask = tf.ones([4]) as tf.Tensor1D;
    const bookkeeping = await tf.profile(() => {
      const recording = recordPerExampleGradients(
        entries,
        () => mseLoss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Tensor1D,
        mask,
      );
      recording.dispose();
    });
    expect(bookkeeping.kernelNames).not.toContain('Conv2DBackpropFilter');
    expect(bookkeeping.kernelNames).toContain('Conv2DBackpropInput');
    expect(weightProducts(bookkeeping.kernels)).toBe(0);
    const ordinary = await tf.profile(() => {
      const { grads } = tf.variableGrads(
        () => tf.sum(mseLoss(y, model.apply(x) as tf.Tensor)) as tf.Scalar,
        model.trainableWeights.map((v) => v.read() as tf.Variable),
      );
      tf.dispose(grads);
    });
    expect(ordinary.kernelNames).toContain('Conv2DBackpropFilter');
    expect(weightProducts(ordinary.kernels)).toBeGreaterThan(0);
  });
});
