/**
 * Kernel time breakdown (by kernel and input shapes) of one step on the benchmark CNN, on the wasm backend with
 * the training-kernel pack and its SIMD module.
 *
 *   pnpm exec tsx bench/profile-kernels.ts [--backend wasm|cpu] [--batch 1024] [--method bookkeeping|non-private]
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createCnn } from '../../../apps/bench/src/models/classifiers';
import {
  computeClippedGradients,
  loadWasmSimdKernels,
  type PerExampleMethod,
  registerWasmTrainingKernels,
} from '../src/index';
import { randomBatch } from './training-step';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const backend = argument('backend', 'wasm');
const batch = Number(argument('batch', '1024'));
const method = argument('method', 'bookkeeping');

registerWasmTrainingKernels();
await tf.setBackend(backend);
await loadWasmSimdKernels();
const model = createCnn({ seed: 1 });
const { x, y } = randomBatch(batch);
const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), 1));
const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
const step =
  method === 'non-private'
    ? () => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(lossFn(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          variables,
        );
        value.dataSync();
        tf.dispose([value, grads]);
      }
    : () => {
        const r = computeClippedGradients({
          model,
          lossFn,
          x,
          y,
          maxGradNorm: 1,
          perExampleMethod: method as PerExampleMethod,
        });
        r.loss.dataSync();
        tf.dispose([...r.gradients.values(), r.perExampleNorms, r.perLayerNorms, r.clipFactors, r.loss]);
      };
step();
const info = await tf.profile(step);
const byName = new Map<string, { ms: number; count: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  total += ms;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const entry = byName.get(key) ?? { ms: 0, count: 0 };
  entry.ms += ms;
  entry.count++;
  byName.set(key, entry);
}
const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
for (const [key, { ms, count }] of rows) console.log(`${ms.toFixed(1).padStart(8)} ms  ×${count}  ${key}`);
console.log(`${total.toFixed(1).padStart(8)} ms  total in kernels (${info.kernels.length} kernel calls)`);
