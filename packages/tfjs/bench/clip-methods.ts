/**
 * Per-example clipping methods against a non-private step, on the Fashion-MNIST benchmark CNN
 * (conv 1→8, pool, 8→16, pool, 16→32, 32→64, pool, dense 576→128→64→10; 107,146 parameters), on the wasm backend
 * with the training-kernel pack and its SIMD module registered (the stock wasm backend cannot train it).
 * `--no-simd` runs the pack's and the per-example rules' pure tfjs + JS paths instead of the WASM SIMD modules.
 *
 *   pnpm exec tsx bench/clip-methods.ts [--backend wasm|cpu] [--batch 1024] [--steps 5]
 *                                       [--methods bookkeeping,materialized,ghost] [--physical 1024,256] [--no-simd]
 *
 * Every method computes the gradient of the mean loss over the batch (the private ones: flat clipping, threshold
 * 1). Methods are timed interleaved (round-robin) after one warm-up each, so that load from other processes
 * affects all alike. Prints samples/s per wall-clock second and per CPU-second of this process, and the time
 * ratio to the non-private step of the same run. Several `--physical` chunk sizes run every method once per size.
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
  setPerExampleSimdEnabled,
  setWasmSimdKernelsEnabled,
} from '../src/index';
import { randomBatch } from './training-step';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const backend = argument('backend', 'wasm');
const batch = Number(argument('batch', '1024'));
const steps = Number(argument('steps', '5'));
const methods = argument('methods', 'bookkeeping,materialized,ghost').split(',') as PerExampleMethod[];
const physicals = argument('physical', String(batch)).split(',').map(Number);
const useSimd = !process.argv.includes('--no-simd');

const crossEntropy = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), 1));

async function main() {
  const registered = registerWasmTrainingKernels();
  await tf.setBackend(backend);
  const simd = backend === 'wasm' && useSimd && (await loadWasmSimdKernels());
  setWasmSimdKernelsEnabled(simd);
  setPerExampleSimdEnabled(simd);
  const model = createCnn({ seed: 1 });
  const { x, y } = randomBatch(batch);
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);

  const runs: [string, () => void][] = [
    [
      'non-private',
      () => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          variables,
        );
        value.dataSync();
        tf.dispose([value, grads]);
      },
    ],
    ...methods.flatMap((method) =>
      physicals.map(
        (physical) =>
          [
            physicals.length > 1 ? `${method}/${physical}` : method,
            () => {
              const result = computeClippedGradients({
                model,
                lossFn: crossEntropy,
                x,
                y,
                maxGradNorm: 1,
                perExampleMethod: method,
                physicalBatchSize: physical,
              });
              result.loss.dataSync();
              tf.dispose([
                ...result.gradients.values(),
                result.perExampleNorms,
                result.perLayerNorms,
                result.clipFactors,
                result.loss,
              ]);
            },
          ] as [string, () => void],
      ),
    ),
  ];
  const available = runs.filter(([name, step]) => {
    try {
      step();
      return true;
    } catch (error) {
      console.log(`${name.padEnd(18)} unavailable: ${(error as Error).message.split('\n')[0]}`);
      return false;
    }
  });
  console.log(
    `node ${process.version}, backend ${tf.getBackend()} (pack: ${registered.length > 0 ? 'registered' : 'none'}, SIMD module: ${simd ? 'on' : 'off'}), batch ${batch}, physical ${physicals.join('/')}, ${steps} interleaved timed rounds after one warm-up`,
  );
  const wall = new Map<string, number>(available.map(([name]) => [name, 0]));
  const cpu = new Map<string, number>(available.map(([name]) => [name, 0]));
  for (let round = 0; round < steps; round++) {
    for (const [name, step] of available) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      step();
      wall.set(name, wall.get(name)! + (performance.now() - start) / 1000);
      const used = process.cpuUsage(cpuStart);
      cpu.set(name, cpu.get(name)! + (used.user + used.system) / 1e6);
    }
  }
  const baseWall = wall.get('non-private');
  const baseCpu = cpu.get('non-private');
  for (const [name] of available) {
    const w = wall.get(name)!;
    const c = cpu.get(name)!;
    const ratio =
      baseWall != null && baseCpu != null
        ? `  ratio to non-private: wall ${(w / baseWall).toFixed(2)}, CPU ${(c / baseCpu).toFixed(2)}`
        : '';
    console.log(
      `${name.padEnd(18)} ${((batch * steps) / w).toFixed(0).padStart(6)} samples/s wall, ${((batch * steps) / c).toFixed(0).padStart(6)} per CPU-second${ratio}`,
    );
  }
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
}

await main();
