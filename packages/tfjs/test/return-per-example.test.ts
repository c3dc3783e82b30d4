import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { computeClippedGradients } from '../src/index';
import { allMethods, rand } from './check-reference';
import { disposeResult, mseLoss } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Each example's gradient by one plain `tf.variableGrads`, by variable name. */
function perExampleReference(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
): Map<string, Float32Array>[] {
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
  return Array.from({ length: y.shape[0]! }, (_, i) => {
    const { grads } = tf.variableGrads(
      () =>
        tf.sum(
          mseLoss(tf.slice(y, i, 1), model.apply(tf.slice(x, i, 1), { training: true }) as tf.Tensor),
        ) as tf.Scalar,
      variables,
    );
    const out = new Map(Object.entries(grads).map(([name, g]) => [name, g.dataSync() as Float32Array]));
    for (const g of Object.values(grads)) g.dispose();
    return out;
  });
}

describe('returnPerExample', () => {
  it("'gradients' and 'norms' equal the example-by-example gradients, for every method, across chunks", () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv1d({ inputShape: [5, 2], filters: 3, kernelSize: 2, activation: 'tanh' }),
        tfl.layers.gru({ units: 3 }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const x = rand([5, 5, 2], 1);
    const y = rand([5, 2], 2);
    const reference = perExampleReference(model, x, y);
    for (const method of allMethods) {
      for (const returnPerExample of ['gradients', 'norms'] as const) {
        const result = computeClippedGradients({
          model,
          lossFn: mseLoss,
          x,
          y,
          maxGradNorm: 0.1,
          perExampleMethod: method,
          physicalBatchSize: 2,
          returnPerExample,
        });
        const outputs =
          returnPerExample === 'gradients' ? result.perExampleGradients! : result.perExampleSquaredNorms!;
        expect([...outputs.keys()]).toEqual(model.trainableWeights.map((v) => v.name));
        const totals = new Float64Array(5);
        for (const [name, tensor] of outputs) {
          const size = reference[0]!.get(name)!.length;
          expect(tensor.shape).toEqual(
            returnPerExample === 'gradients'
              ? [5, ...model.trainableWeights.find((v) => v.name === name)!.shape]
              : [5],
          );
          const data = tensor.dataSync();
          for (let i = 0; i < 5; i++) {
            const want = reference[i]!.get(name)!;
            const wantSquared = want.reduce((s, v) => s + v * v, 0);
            totals[i]! += wantSquared;
            if (returnPerExample === 'norms') {
              expect(Math.abs(data[i]! - wantSquared), `${method} ${name} ${i}`).toBeLessThanOrEqual(
                1e-5 * (1 + wantSquared),
              );
            } else {
              let diff = 0;
              for (let k = 0; k < size; k++) diff += (data[i * size + k]! - want[k]!) ** 2;
              expect(Math.sqrt(diff), `${method} ${name} ${i}`).toBeLessThanOrEqual(
                1e-5 * Math.sqrt(wantSquared) + 1e-7,
              );
            }
          }
          tensor.dispose();
        }
        const norms = result.perExampleNorms.dataSync();
        for (let i = 0; i < 5; i++) expect(norms[i]).toBeCloseTo(Math.sqrt(totals[i]!), 4);
        disposeResult(result);
      }
    }
  });

  it('is absent unless asked for, and rejects an unknown value', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    const options = { model, lossFn: mseLoss, x: rand([4, 3], 3), y: rand([4, 2], 4), maxGradNorm: 1 };
    const plain = computeClippedGradients(options);
    expect(plain.perExampleGradients).toBeUndefined();
    expect(plain.perExampleSquaredNorms).toBeUndefined();
    disposeResult(plain);
    expect(() => computeClippedGradients({ ...options, returnPerExample: 'grads' as never })).toThrow(
      /returnPerExample must be 'gradients' or 'norms', got "grads"/,
    );
  });
});
