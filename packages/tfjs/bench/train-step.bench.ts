/**
 * Non-private training speed of the benchmark CNN (107,146 parameters, random 28x28x1 data): samples/s of one
 * SGD step (forward + backward + update) on the wasm backend with the training-kernel pack, against the stock
 * cpu backend in the same run (the stock wasm backend cannot train it: no Conv2DBackpropFilter).
 *
 *   pnpm exec tsx bench/train-step.bench.ts [--batch 1024,256] [--steps 5] [--cpu-batch 32] [--cpu-steps 1]
 *                                           [--profile] [--only Conv2DBackpropFilter,...] [--paths simd,js]
 *
 * `--paths` runs the wasm measurement with the WASM SIMD module (simd) and/or with the pack's pure JS paths (js).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers (imported by the CNN builder) registers the gradient functions of tfjs-core in Node.
import * as tf from '@tensorflow/tfjs-core';
import { createCnn } from '../../../apps/bench/src/models/classifiers';
import {
  loadWasmSimdKernels,
  registerWasmTrainingKernels,
  setWasmSimdKernelsEnabled,
  wasmTrainingKernelNames,
} from '../src/index';
import { formatProfile, profileKernels } from './kernel-profiler';
import { randomBatch, trainStep } from './training-step';

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
const paths = option('paths', 'simd,js').split(',');

/**
 * Samples per second of `timedSteps` steps after two warm-up steps: per wall-clock second, and per second of
 * CPU time of this process (user + system), which stays meaningful when other work shares the machine (it
 * slightly overstates the cost: V8's compiler and GC threads count too).
 */
function measure(
  backendName: string,
  batchSize: number,
  timedSteps: number,
): { wallRate: number; cpuRate: number } {
  const model = createCnn({ seed: 1 });
  const optimizer = tf.train.sgd(0.01);
  const { x, y } = randomBatch(batchSize);
  // Warm-up: kernel setup, XNNPACK operators, heap growth, and V8's tier-up of the wasm code from its baseline
  // compiler to the optimising one (slow to happen on a loaded machine).
  for (let i = 0; i < 2; i++) trainStep(model, optimizer, x, y);
  const wrapped = profile ? profileKernels(backendName) : undefined;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < timedSteps; i++) trainStep(model, optimizer, x, y);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
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
  return { wallRate: (batchSize * timedSteps) / seconds, cpuRate: (batchSize * timedSteps) / cpuSeconds };
}

function report(label: string, batchSize: number, rates: { wallRate: number; cpuRate: number }): void {
  const digits = rates.wallRate < 100 ? 1 : 0;
  console.log(
    `${label.padEnd(22)} batch ${String(batchSize).padStart(5)}: ${rates.wallRate.toFixed(digits).padStart(7)} samples/s wall, ${rates.cpuRate.toFixed(digits).padStart(7)} samples/s of CPU time`,
  );
}

async function main(): Promise<void> {
  const kernels = only === '' ? wasmTrainingKernelNames() : only.split(',');
  const registered = registerWasmTrainingKernels({ kernels });
  await tf.setBackend('wasm');
  console.log(
    `node ${process.version}, tfjs-core ${tf.version_core}, wasm kernels from the pack: ${registered}`,
  );
  const simdLoaded = await loadWasmSimdKernels();
  for (const batchSize of batches) {
    for (const path of paths) {
      if (path === 'simd' && !simdLoaded) continue;
      setWasmSimdKernelsEnabled(path === 'simd');
      report(`wasm + pack (${path})`, batchSize, measure('wasm', batchSize, steps));
    }
  }
  await tf.setBackend('cpu');
  report('stock cpu', cpuBatch, measure('cpu', cpuBatch, cpuSteps));
}

await main();
