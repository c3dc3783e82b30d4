/**
 * Cost of binding a run to its data: the fingerprint of a Fashion-MNIST-sized training set (60,000 examples of
 * 28x28x1 float32, one-hot labels of 10), computed once per tensors given to a run, against a 50-epoch
 * benchmark row (2,950 clipped steps of the benchmark CNN at batch 1024, the full profile), both timed in this
 * run on the wasm backend with the training-kernel pack.
 *
 *   pnpm --filter @cnm/tfjs exec tsx --conditions=@cnm/source bench/data-fingerprint.ts [--repeats 3] [--steps 2]
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createCnn } from '../../../apps/bench/src/models/classifiers';
import { fingerprintData } from '../src/data-fingerprint';
import {
  computeClippedGradients,
  loadWasmSimdKernels,
  registerWasmTrainingKernels,
  setPerExampleSimdEnabled,
  setWasmSimdKernelsEnabled,
} from '../src/index';
import { randomBatch } from './training-step';

function argument(name: string, fallback: string): number {
  const index = process.argv.indexOf(`--${name}`);
  return Number(index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback);
}

const repeats = argument('repeats', '3');
const steps = argument('steps', '2');
const rowSteps = 2950;

registerWasmTrainingKernels();
await tf.setBackend('wasm');
const simd = await loadWasmSimdKernels();
setWasmSimdKernelsEnabled(simd);
setPerExampleSimdEnabled(simd);

const data = tf.tidy(() => ({
  x: tf.randomUniform([60_000, 28, 28, 1], 0, 1, 'float32', 1),
  y: tf.cast(tf.oneHot(tf.randomUniform([60_000], 0, 10, 'int32', 2), 10), 'float32'),
}));
const fingerprint: number[] = [];
for (let r = 0; r < repeats; r++) {
  const start = performance.now();
  fingerprintData(data);
  fingerprint.push(performance.now() - start);
}

const model = createCnn({ seed: 1 });
const batch = randomBatch(1024);
const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), 1));
const step = () => {
  const result = computeClippedGradients({ model, lossFn, ...batch, maxGradNorm: 1 });
  result.loss.dataSync();
  tf.dispose([
    ...result.gradients.values(),
    result.perExampleNorms,
    result.perLayerNorms,
    result.clipFactors,
  ]);
  tf.dispose(result.loss);
};
step();
const stepTimes: number[] = [];
for (let s = 0; s < steps; s++) {
  const start = performance.now();
  step();
  stepTimes.push(performance.now() - start);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const fingerprintMs = median(fingerprint);
const rowMs = median(stepTimes) * rowSteps;
console.log(`backend wasm (simd ${simd}), fingerprint of 60000x784 float32 + 60000x10 labels`);
console.log(
  `fingerprint: ${fingerprint.map((t) => t.toFixed(0)).join(', ')} ms (median ${fingerprintMs.toFixed(0)})`,
);
console.log(
  `clipped step, batch 1024: ${stepTimes.map((t) => t.toFixed(0)).join(', ')} ms; 50-epoch row (${rowSteps} steps): ${(rowMs / 1000).toFixed(0)} s`,
);
console.log(`fingerprint / row: ${((100 * fingerprintMs) / rowMs).toFixed(3)} %`);
