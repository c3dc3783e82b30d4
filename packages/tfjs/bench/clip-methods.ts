/**
 * Per-example clipping methods against a non-private step, on the Fashion-MNIST benchmark CNN
 * (conv 1→8, pool, 8→16, pool, 16→32, 32→64, pool, dense 576→128→64→10).
 *
 *   pnpm exec tsx bench/clip-methods.ts [--backend wasm|cpu] [--batch 256] [--steps 3]
 *
 * Prints samples/s per method and the ratio to the non-private step measured in the same run. A method whose
 * kernels the backend lacks (stock wasm has no Conv2DBackpropFilter) is reported as unavailable.
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
const batch = Number(argument('batch', '256'));
const steps = Number(argument('steps', '3'));

function benchmarkCnn(): tfl.LayersModel {
  return tfl.sequential({
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
}

const crossEntropy = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), 1));

async function main() {
  await tf.setBackend(backend);
  const model = benchmarkCnn();
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10);
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);

  const runs: [string, () => void][] = [
    [
      'non-private',
      () => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(crossEntropy(y, model.apply(x) as tf.Tensor)) as tf.Scalar,
          variables,
        );
        value.dataSync();
        tf.dispose([value, grads]);
      },
    ],
    ...(['bookkeeping', 'materialized', 'ghost'] as PerExampleMethod[]).map(
      (method) =>
        [
          method,
          () => {
            const result = computeClippedGradients({
              model,
              lossFn: crossEntropy,
              x,
              y,
              maxGradNorm: 1,
              perExampleMethod: method,
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
  ];
  // Warm up every method once, then time them interleaved (round-robin), so that load from other processes
  // affects all methods alike.
  const available = runs.filter(([name, step]) => {
    try {
      step();
      return true;
    } catch (error) {
      console.log(`${name.padEnd(13)} unavailable: ${(error as Error).message.split('\n')[0]}`);
      return false;
    }
  });
  const seconds = new Map<string, number>(available.map(([name]) => [name, 0]));
  console.log(`backend ${tf.getBackend()}, batch ${batch}, ${steps} timed rounds after one warm-up`);
  for (let round = 0; round < steps; round++) {
    for (const [name, step] of available) {
      const start = performance.now();
      step();
      seconds.set(name, seconds.get(name)! + (performance.now() - start) / 1000);
    }
  }
  const rates = new Map([...seconds].map(([name, s]) => [name, (batch * steps) / s]));
  const baseline = rates.get('non-private');
  for (const [name, rate] of rates) {
    const ratio = baseline != null ? `  time ratio to non-private ${(baseline / rate).toFixed(2)}` : '';
    console.log(`${name.padEnd(13)} ${rate.toFixed(0).padStart(7)} samples/s${ratio}`);
  }
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
}

await main();
