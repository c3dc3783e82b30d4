/**
 * Kernel time breakdown of one book-keeping step on the benchmark CNN (batch 128 by default).
 *
 *   pnpm exec tsx bench/profile-kernels.ts [--backend wasm|cpu] [--batch 128] [--method bookkeeping]
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { computeClippedGradients, type PerExampleMethod } from '../src/index';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const backend = argument('backend', 'wasm');
const batch = Number(argument('batch', '128'));
const method = argument('method', 'bookkeeping') as PerExampleMethod;

await tf.setBackend(backend);
const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 64, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ],
});
const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10);
const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), 1));
const step = () => {
  const r = computeClippedGradients({ model, lossFn, x, y, maxGradNorm: 1, perExampleMethod: method });
  r.loss.dataSync();
  tf.dispose([...r.gradients.values(), r.perExampleNorms, r.perLayerNorms, r.clipFactors, r.loss]);
};
step();
const info = await tf.profile(step);
const byName = new Map<string, { ms: number; count: number }>();
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const entry = byName.get(key) ?? { ms: 0, count: 0 };
  entry.ms += ms;
  entry.count++;
  byName.set(key, entry);
}
const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
for (const [key, { ms, count }] of rows) console.log(`${ms.toFixed(1).padStart(8)} ms  ×${count}  ${key}`);
