/**
 * Non-private training speed of the benchmark CNN (107,146 parameters, random 28x28x1 data): samples/s of one
 * SGD step (forward + backward + update) on the wasm backend with the training-kernel pack, against the stock
 * cpu backend in the same run (the stock wasm backend cannot train it: no Conv2DBackpropFilter).
 *
 *   pnpm exec tsx bench/train-step.bench.ts [--batch 1024,256] [--steps 5] [--cpu-batch 32] [--cpu-steps 1]
 *                                           [--profile] [--only Conv2DBackpropFilter,...]
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers (imported by benchmark-cnn) registers the gradient functions of tfjs-core in Node.
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels, wasmTrainingKernelNames } from '../src/index';
import { buildBenchmarkCnn, randomBatch, trainStep } from './benchmark-cnn';
import { formatProfile, profileKernels } from './kernel-profiler';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1]! : fallback;
}

const batches = option('batch', '1024,256').split(',').map(Number);
const steps = Number(option('steps', '5'));
const cpuBatch = Number(option('cpu-batch', '32'));
const cpuSteps = Number(option('cpu-steps', '1'));
const profile = process.argv.includes('--profile');
const only = option('only', '');

/** Samples per second of `steps` timed steps after one warm-up step. */
function measure(backendName: string, batchSize: number, timedSteps: number): number {
  const model = buildBenchmarkCnn();
  const optimizer = tf.train.sgd(0.01);
  const { x, y } = randomBatch(batchSize);
  trainStep(model, optimizer, x, y); // warm-up: kernel setup, XNNPACK operator creation, heap growth
  const wrapped = profile ? profileKernels(backendName) : undefined;
  const start = performance.now();
  for (let i = 0; i < timedSteps; i++) trainStep(model, optimizer, x, y);
  const seconds = (performance.now() - start) / 1000;
  if (wrapped) {
    wrapped.restore();
    console.log(
      `kernel profile, ${backendName}, batch ${batchSize}:\n${formatProfile(wrapped.profile, timedSteps)}`,
    );
  }
  x.dispose();
  y.dispose();
  model.dispose();
  optimizer.dispose();
  return (batchSize * timedSteps) / seconds;
}

async function main(): Promise<void> {
  const kernels = only === '' ? wasmTrainingKernelNames() : only.split(',');
  const registered = registerWasmTrainingKernels({ kernels });
  await tf.setBackend('wasm');
  console.log(
    `node ${process.version}, tfjs-core ${tf.version_core}, wasm kernels from the pack: ${registered}`,
  );
  for (const batchSize of batches) {
    const rate = measure('wasm', batchSize, steps);
    console.log(
      `wasm + pack   batch ${String(batchSize).padStart(5)}: ${rate.toFixed(0).padStart(6)} samples/s`,
    );
  }
  await tf.setBackend('cpu');
  const cpuRate = measure('cpu', cpuBatch, cpuSteps);
  console.log(
    `stock cpu     batch ${String(cpuBatch).padStart(5)}: ${cpuRate.toFixed(1).padStart(6)} samples/s`,
  );
}

await main();
