import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../src/index';
import type { PerExampleMethod } from '../src/index';
import { expectMatchesReference, rand } from './check-reference';

// Recurrent layers have book-keeping rules: the exact fallback (which warns) must not be used.
beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(async () => {
  const calls = vi.mocked(console.warn).mock.calls.map((args) => String(args[0]));
  expect(calls.filter((message) => message.includes('fallback'))).toEqual([]);
  await tf.setBackend('cpu');
});

type Recurrent = 'simpleRNN' | 'lstm' | 'gru';
const kinds: Recurrent[] = ['simpleRNN', 'lstm', 'gru'];

function recurrent(kind: Recurrent, config: Record<string, unknown>): tfl.layers.Layer {
  return tfl.layers[kind](config as never) as tfl.layers.Layer;
}

/** Inputs with trailing all-zero steps (padding) that a Masking layer hides. */
function padded(batch: number, steps: number, depth: number, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const lengths = Array.from({ length: batch }, (_, i) => 1 + ((i * 2) % steps));
    const keep = tf.tensor3d(
      lengths.flatMap((n) => Array.from({ length: steps * depth }, (_, k) => (k < n * depth ? 1 : 0))),
      [batch, steps, depth],
    );
    return tf.mul(rand([batch, steps, depth], seed), keep);
  });
}

describe('recurrent layers against the example-by-example reference', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    const methods: PerExampleMethod[] | undefined =
      backend === 'cpu' ? undefined : ['bookkeeping', 'materialized'];
    for (const kind of kinds) {
      it(`${kind}: last output, sequences, goBackwards, masking (${backend})`, async () => {
        await tf.setBackend('cpu');
        const last = tfl.sequential({
          layers: [recurrent(kind, { inputShape: [4, 3], units: 5 }), tfl.layers.dense({ units: 2 })],
        });
        await expectMatchesReference({
          model: last,
          x: rand([5, 4, 3], 1),
          y: rand([5, 2], 2),
          maxGradNorm: 0.2,
          methods,
          backend,
        });
        const sequences = tfl.sequential({
          layers: [
            tfl.layers.masking({ inputShape: [4, 3], maskValue: 0 }),
            // A trainable layer before the backwards layer: its input gradient must be right too.
            tfl.layers.dense({ units: 3, activation: 'tanh' }),
            recurrent(kind, { units: 4, returnSequences: true, goBackwards: true }),
            recurrent(kind, { units: 3 }),
            tfl.layers.dense({ units: 2 }),
          ],
        });
        await expectMatchesReference({
          model: sequences,
          x: padded(5, 4, 3, 3),
          y: rand([5, 2], 4),
          maxGradNorm: 0.2,
          methods,
          backend,
        });
      });
    }

    it(`bidirectional over each recurrent kind, every merge mode, functional with a shared layer, masking (${backend})`, async () => {
      await tf.setBackend('cpu');
      const modes = ['concat', 'sum', 'mul', 'ave'] as const;
      for (const [k, kind] of kinds.entries()) {
        const mergeMode = modes[k]!;
        const input = tfl.input({ shape: [4, 3] });
        const shared = tfl.layers.bidirectional({
          layer: recurrent(kind, { units: 3, returnSequences: true }) as never,
          mergeMode,
        });
        const once = shared.apply(input) as tfl.SymbolicTensor;
        const projected = tfl.layers.dense({ units: 3 }).apply(once) as tfl.SymbolicTensor;
        const twice = shared.apply(projected) as tfl.SymbolicTensor;
        const output = tfl.layers
          .dense({ units: 2 })
          .apply(tfl.layers.flatten().apply(twice)) as tfl.SymbolicTensor;
        const model = tfl.model({ inputs: input, outputs: output });
        await expectMatchesReference({
          model,
          x: rand([4, 4, 3], 5 + k),
          y: rand([4, 2], 9 + k),
          maxGradNorm: 0.2,
          methods,
          backend,
        });
      }
      const concatLast = tfl.sequential({
        layers: [
          tfl.layers.masking({ inputShape: [4, 3], maskValue: 0 }),
          tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3 }) as never, mergeMode: 'mul' }),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      await expectMatchesReference({
        model: concatLast,
        x: padded(5, 4, 3, 12),
        y: rand([5, 2], 13),
        maxGradNorm: 0.2,
        methods,
        backend,
      });
    });
  }

  it('an LSTM text model: Embedding with maskZero, LSTM, Dense (cpu)', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 7, outputDim: 4, inputLength: 5, maskZero: true }),
        tfl.layers.lstm({ units: 4 }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const tokens = tf.tensor2d(
      [
        [3, 1, 4, 0, 0],
        [5, 5, 2, 6, 1],
        [2, 0, 0, 0, 0],
        [6, 4, 4, 1, 0],
      ],
      [4, 5],
    );
    await expectMatchesReference({ model, x: tokens, y: rand([4, 2], 14), maxGradNorm: 0.1 });
  });
});
