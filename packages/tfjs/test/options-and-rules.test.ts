import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AdaptiveClipNorm,
  computeClippedGradients,
  getLayerRule,
  type LayerRule,
  type PerExampleMethod,
  registerLayerRule,
  supportedLayerClasses,
  unregisterLayerRule,
} from '../src/index';
import { allMethods } from './check-reference';
import { disposeResult, maxRelativeError, mseLoss, referenceClippedSums } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** A trainable elementwise scale `y = x · w` (custom layer for the registry tests). */
class TestScale extends tfl.layers.Layer {
  static className = 'TestScale';
  scaleWeight: tfl.LayerVariable | null = null;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as number[];
    this.scaleWeight = this.addWeight(
      'w',
      [shape[shape.length - 1]!],
      'float32',
      tfl.initializers.randomNormal({ seed: 3 }),
    );
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(x, this.scaleWeight!.read());
  }
}

const scaleRule: LayerRule<{ input: tf.Tensor }> = {
  forward(layer, [x], _kwargs, context) {
    const w = (layer as TestScale).scaleWeight!.read();
    return { output: context.tap(tf.mul(x!, w)), record: { input: context.save(x!) } };
  },
  contributions(layer, record, [grad]) {
    return new Map([
      [
        (layer as TestScale).scaleWeight!,
        { kind: 'materialized' as const, perExample: tf.mul(grad!, record.input) },
      ],
    ]);
  },
};

function scaleModel() {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [4], units: 3, activation: 'tanh' }),
      new TestScale({}),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

describe('layer registry and validation', () => {
  afterAll(() => unregisterLayerRule('TestScale'));

  it('lists the built-in rules', () => {
    expect(supportedLayerClasses()).toEqual(
      expect.arrayContaining([
        'Bidirectional',
        'Conv1D',
        'Conv2D',
        'Conv2DTranspose',
        'Conv3D',
        'Dense',
        'DepthwiseConv2D',
        'Embedding',
        'GRU',
        'LayerNormalization',
        'LSTM',
        'PReLU',
        'SeparableConv2D',
        'SimpleRNN',
        'TimeDistributed',
      ]),
    );
    expect(getLayerRule('Dense')).toBeDefined();
  });

  it('rejects BatchNormalization and suggests LayerNormalization', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 4 }),
        tfl.layers.batchNormalization(),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    expect(() =>
      computeClippedGradients({
        model,
        lossFn: mseLoss,
        x: rand([2, 3], 1),
        y: rand([2, 1], 2),
        maxGradNorm: 1,
      }),
    ).toThrow(/BatchNormalization.*LayerNormalization/s);
  });

  it('trains a layer without a rule by the exact fallback (warning once); a registered rule overrides it', () => {
    const model = scaleModel();
    const x = rand([5, 4], 3);
    const y = rand([5, 2], 4);
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.2);
    expect(reference.norms.some((n) => n > 0.2)).toBe(true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const run = (method: PerExampleMethod) => {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        maxGradNorm: 0.2,
        perExampleMethod: method,
      });
      expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
      disposeResult(result);
    };
    for (const method of allMethods) run(method);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/"test_scale.*" \(TestScale\).*fallback.*ms per example/s);
    registerLayerRule('TestScale', scaleRule);
    const contributions = vi.spyOn(scaleRule, 'contributions');
    for (const method of allMethods) run(method);
    // 'loop' never asks a rule; every other method does.
    expect(contributions).toHaveBeenCalledTimes(allMethods.length - 1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('accepts an unsupported layer when it is frozen', () => {
    unregisterLayerRule('TestScale');
    const model = scaleModel();
    model.build();
    model.layers[1]!.trainable = false;
    const result = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x: rand([3, 4], 5),
      y: rand([3, 2], 6),
      maxGradNorm: 1,
    });
    expect(result.gradients.size).toBe(4);
    disposeResult(result);
  });

  it('rejects bad rule registrations', () => {
    expect(() => registerLayerRule('', scaleRule)).toThrow(TypeError);
    expect(() => registerLayerRule('X', {} as never)).toThrow(/forward\(\) and contributions\(\)/);
  });
});

describe('options', () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
  const x = rand([4, 3], 7);
  const y = rand([4, 2], 8);
  const base = { model, lossFn: mseLoss, x, y };

  it('reject bad values with the parameter name', () => {
    expect(() => computeClippedGradients({ ...base, maxGradNorm: -1 })).toThrow(/maxGradNorm/);
    expect(() => computeClippedGradients({ ...base, maxGradNorm: Number.POSITIVE_INFINITY })).toThrow(
      /maxGradNorm/,
    );
    expect(() => computeClippedGradients({ ...base })).toThrow(/maxGradNorm or clipping is required/);
    expect(() =>
      computeClippedGradients({ ...base, maxGradNorm: 1, clipping: { mode: 'flat', maxGradNorm: 1 } }),
    ).toThrow(/not both/);
    expect(() =>
      computeClippedGradients({ ...base, maxGradNorm: 1, perExampleMethod: 'fast' as never }),
    ).toThrow(/perExampleMethod must be one of bookkeeping, ghost, mixed-ghost, materialized, loop/);
    expect(() => computeClippedGradients({ ...base, maxGradNorm: 1, physicalBatchSize: 0 })).toThrow(
      /physicalBatchSize/,
    );
    expect(() => computeClippedGradients({ ...base, maxGradNorm: 1, physicalBatchSize: 1.5 })).toThrow(
      /physicalBatchSize/,
    );
    expect(() => computeClippedGradients({ ...base, maxGradNorm: 1, mask: [1, 1] })).toThrow(
      /mask must have shape \[4\]/,
    );
    expect(() => computeClippedGradients({ ...base, maxGradNorm: 1, mask: [1, 0.5, 1, 1] })).toThrow(
      /0 or 1/,
    );
    expect(() => computeClippedGradients({ ...base, y: rand([3, 2], 9), maxGradNorm: 1 })).toThrow(
      /leading axis 3/,
    );
    expect(() => computeClippedGradients({ ...base, lossFn: (a) => tf.sum(a), maxGradNorm: 1 })).toThrow(
      /lossFn must return a per-example loss of shape \[4\]/,
    );
    const layerName = model.layers[0]!.name;
    expect(() =>
      computeClippedGradients({ ...base, clipping: { mode: 'perLayer', thresholds: { other: 1 } } }),
    ).toThrow(new RegExp(`no threshold for trainable layer "${layerName}"`));
    expect(() =>
      computeClippedGradients({
        ...base,
        clipping: { mode: 'perLayer', thresholds: { [layerName]: 1, other: 1 } },
      }),
    ).toThrow(/"other", which is not a trainable layer/);
    for (const method of ['ghost', 'mixed-ghost'] as const) {
      expect(() =>
        computeClippedGradients({
          ...base,
          perExampleMethod: method,
          clipping: { mode: 'perLayer', thresholds: { [layerName]: 1 } },
        }),
      ).toThrow(new RegExp(`"${method}" needs one clip factor per example: use flat or adaptive`));
    }
  });

  it('rejects (mixed) ghost clipping with a stochastic layer (its two passes would differ); book-keeping is fine', () => {
    const withDropout = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 4 }),
        tfl.layers.dropout({ rate: 0.5 }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const options = { model: withDropout, lossFn: mseLoss, x, y, maxGradNorm: 1 };
    for (const method of ['ghost', 'mixed-ghost'] as const) {
      expect(() => computeClippedGradients({ ...options, perExampleMethod: method })).toThrow(
        new RegExp(`"${method}" cannot be used with the stochastic layer.*Dropout`),
      );
    }
    const result = computeClippedGradients(options);
    expect(Math.max(...result.perExampleNorms.dataSync())).toBeGreaterThan(0);
    disposeResult(result);
  });
});

describe('clipping modes in the engine', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'tanh' }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const x = rand([6, 5, 5, 1], 10);
  const y = rand([6, 2], 11);

  it('per-layer thresholds match the reference and report sqrt(Σ threshold²) as sensitivity', () => {
    const names = model.layers.filter((l) => l.trainableWeights.length > 0).map((l) => l.name);
    const thresholds = Object.fromEntries(names.map((n, i) => [n, 0.05 * (i + 1)]));
    const reference = referenceClippedSums(model, mseLoss, x, y, thresholds);
    for (const method of ['bookkeeping', 'materialized', 'loop'] as const) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x,
        y,
        clipping: { mode: 'perLayer', thresholds },
        perExampleMethod: method,
      });
      expect(maxRelativeError(result.gradients, reference.sums), method).toBeLessThanOrEqual(1e-5);
      expect(result.clipFactors.shape).toEqual([6, 3]);
      expect(result.layerNames).toEqual(names);
      expect(result.sensitivity).toBeCloseTo(Math.sqrt(0.05 ** 2 + 0.1 ** 2 + 0.15 ** 2), 12);
      const factors = result.clipFactors.dataSync();
      expect(Math.min(...factors)).toBeLessThan(1);
      disposeResult(result);
    }
  });

  it('adaptive clipping clips at the current threshold, then releases the noisy count and updates it', () => {
    const state = new AdaptiveClipNorm({
      initialMaxGradNorm: 0.3,
      countNoiseStddev: 0.5,
      expectedBatchSize: 6,
      gaussian: () => 0,
    });
    const reference = referenceClippedSums(model, mseLoss, x, y, 0.3);
    const unclipped = reference.norms.filter((n) => n <= 0.3).length;
    const result = computeClippedGradients({
      model,
      lossFn: mseLoss,
      x,
      y,
      clipping: { mode: 'adaptive', state },
    });
    expect(maxRelativeError(result.gradients, reference.sums)).toBeLessThanOrEqual(1e-5);
    expect(result.sensitivity).toBe(0.3);
    expect(result.noisyUnclippedFraction).toBeCloseTo(unclipped / 6, 6);
    expect(state.maxGradNorm).toBeCloseTo(0.3 * Math.exp(-0.2 * (unclipped / 6 - 0.5)), 6);
    disposeResult(result);
  });
});
