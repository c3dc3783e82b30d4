import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeClippedGradients } from '../src/index';
import { expectMatchesReference, rand } from './check-reference';
import { disposeResult, mseLoss } from './reference';

/** A GroupNorm-like custom layer: each example's channels normalised in groups, then scaled and shifted. */
class TestGroupNorm extends tfl.layers.Layer {
  static className = 'TestGroupNorm';
  gamma: tfl.LayerVariable | null = null;
  beta: tfl.LayerVariable | null = null;
  constructor(readonly groups: number) {
    super({});
  }
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const channels = (inputShape as number[]).at(-1)!;
    this.gamma = this.addWeight(
      'gamma',
      [channels],
      'float32',
      tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5 }),
    );
    this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.randomNormal({ stddev: 0.3 }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const channels = x.shape.at(-1)!;
    const grouped = tf.reshape(x, [...x.shape.slice(0, -1), this.groups, channels / this.groups]);
    const axes = grouped.shape.map((_, i) => i).filter((i) => i > 0 && i !== grouped.rank - 2);
    const { mean, variance } = tf.moments(grouped, axes, true);
    const normalized = tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, 1e-3))), x.shape);
    return tf.add(tf.mul(normalized, this.gamma!.read()), this.beta!.read());
  }
}

/** A custom layer that (wrongly, for per-example clipping) scales by a statistic of the whole batch. */
class TestBatchScale extends tfl.layers.Layer {
  static className = 'TestBatchScale';
  scale: tfl.LayerVariable | null = null;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.scale = this.addWeight(
      'scale',
      [(inputShape as number[]).at(-1)!],
      'float32',
      tfl.initializers.ones(),
    );
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(tf.sub(x, tf.mean(x, 0)), this.scale!.read());
  }
}

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(async () => {
  await tf.setBackend('cpu');
});

describe('exact fallback for trainable layers without a rule', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`a GroupNorm-like custom layer, Sequential and functional with the layer shared (${backend})`, async () => {
      await tf.setBackend('cpu');
      const methods = backend === 'cpu' ? undefined : (['bookkeeping', 'materialized'] as const).slice();
      const sequential = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [3, 4], units: 6, activation: 'relu' }),
          new TestGroupNorm(2),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model: sequential,
        x: rand([6, 3, 4], 1),
        y: rand([6, 2], 2),
        maxGradNorm: 0.3,
        methods,
        backend,
      });
      const input = tfl.input({ shape: [3, 6] });
      const norm = new TestGroupNorm(3);
      const mixed = tfl.layers
        .dense({ units: 6, activation: 'tanh' })
        .apply(norm.apply(input)) as tfl.SymbolicTensor;
      const twice = norm.apply(mixed) as tfl.SymbolicTensor;
      const output = tfl.layers
        .dense({ units: 2 })
        .apply(tfl.layers.flatten().apply(twice)) as tfl.SymbolicTensor;
      const functional = tfl.model({ inputs: input, outputs: output });
      await expectMatchesReference({
        model: functional,
        x: rand([5, 3, 6], 3),
        y: rand([5, 2], 4),
        maxGradNorm: 0.3,
        methods,
        backend,
      });
    });
  }

  it('TimeDistributed over a custom layer, with padding rows masked out', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.timeDistributed({ inputShape: [3, 4, 2], layer: new TestGroupNorm(1) }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    await expectMatchesReference({
      model,
      x: rand([5, 3, 4, 2], 5),
      y: rand([5, 2], 6),
      maxGradNorm: 0.2,
      mask: [1, 1, 0, 1, 1],
    });
  });

  it('warns once per layer, naming it and giving the measured cost', async () => {
    await tf.setBackend('cpu');
    const warn = vi.mocked(console.warn);
    warn.mockClear();
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [4], units: 4 }), new TestGroupNorm(2)],
    });
    for (let step = 0; step < 2; step++) {
      const result = computeClippedGradients({
        model,
        lossFn: mseLoss,
        x: rand([3, 4], 7),
        y: rand([3, 4], 8),
        maxGradNorm: 1,
      });
      disposeResult(result);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      new RegExp(
        `"${model.layers[1]!.name}" \\(TestGroupNorm\\).*fallback.*ms for 3 examples \\([0-9.]+ ms per example\\)`,
      ),
    );
  });

  it('refuses a layer that mixes the examples of a batch, naming it', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [4], units: 3 }), new TestBatchScale({})],
    });
    expect(() =>
      computeClippedGradients({
        model,
        lossFn: mseLoss,
        x: rand([4, 4], 9),
        y: rand([4, 3], 10),
        maxGradNorm: 1,
      }),
    ).toThrow(/"test_batch_scale.*" \(TestBatchScale\) gives example 0 another output when run alone/);
  });

  it('refuses a stateful recurrent layer with the reason', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 4, 2] }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    expect(() =>
      computeClippedGradients({
        model,
        lossFn: mseLoss,
        x: rand([2, 4, 2], 11),
        y: rand([2, 1], 12),
        maxGradNorm: 1,
      }),
    ).toThrow(/\(LSTM\) is stateful: it carries each row's state into the next batch/);
  });
});
