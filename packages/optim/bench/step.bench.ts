// Benchmark: noise generation + BLT state update + optimizer update for the 107,146 parameters of the
// benchmark CNN (conv 3x3 1->8, 8->16, 16->32, 32->64, dense 576->128->64->10, with biases), 4 BLT buffers,
// on the tfjs wasm backend. Run from the repository root:
//   node --conditions=@cnm/source --import tsx packages/optim/bench/step.bench.ts
import { Blt, bltStrategy, identityStrategy, type Strategy } from '@cnm/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { CorrelatedNoise, type NoiseRandomness } from '../src/correlated-noise';
import { DpAdamBc } from '../src/dp-adam-bc';
import type { DpOptimizer } from '../src/dp-optimizer';
import { DpSgd } from '../src/dp-sgd';

const shapes: number[][] = [
  [3, 3, 1, 8],
  [8],
  [3, 3, 8, 16],
  [16],
  [3, 3, 16, 32],
  [32],
  [3, 3, 32, 64],
  [64],
  [576, 128],
  [128],
  [128, 64],
  [64],
  [64, 10],
  [10],
];
const warmup = 20;
const measured = Number(process.env.BENCH_STEPS ?? 200);

await tf.setBackend('wasm');
await tf.ready();

const variables = shapes.map((shape) => tf.variable(tf.randomNormal(shape, 0, 0.1, 'float32', 1)));
const parameterCount = variables.reduce((n, v) => n + v.size, 0);
const gradientSums = new Map(
  variables.map((v, i) => [v, tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i)]),
);
// Four buffers; the decays are of the magnitudes fitted BLTs have (performance does not depend on them).
const blt4 = bltStrategy(Blt.fromDecayPair([0.9995, 0.99, 0.9, 0.5], [0.999, 0.97, 0.8, 0.3]));

/** Median and 10th percentile of a list of milliseconds. */
function summarise(samples: number[]): { median: number; p10: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] as number,
    p10: sorted[Math.floor(sorted.length / 10)] as number,
  };
}

const noise = (strategy: Strategy, random: NoiseRandomness) => ({
  strategy,
  noiseMultiplier: 1.1,
  maxGradNorm: 1,
  sensitivity: 2.3,
  random,
});

const loadBefore = (await import('node:os'))
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const tensorsBefore = tf.memory().numTensors;
const rows: [string, () => void][] = [];
const reference = tf.train.sgd(0.01);
rows.push([
  'tfjs SGD applyGradients, no noise (reference)',
  () =>
    reference.applyGradients(
      variables.map((v) => ({ name: v.name, tensor: gradientSums.get(v) as tf.Tensor })),
    ),
]);
for (const [label, strategy] of [
  ['identity', identityStrategy()],
  ['BLT 4 buffers', blt4],
] as const) {
  for (const random of [{ seed: 1 }, 'secure'] as const) {
    const generator = new CorrelatedNoise({ ...noise(strategy, random), size: parameterCount });
    rows.push([`noise only: ${label}, ${random === 'secure' ? 'secure' : 'seeded'}`, () => generator.next()]);
  }
}
const optimizers: [string, DpOptimizer][] = [
  [
    'DpSgd momentum 0.9, BLT 4, seeded',
    new DpSgd({ variables, learningRate: 0.01, momentum: 0.9, noise: noise(blt4, { seed: 1 }) }),
  ],
  [
    'DpSgd momentum 0.9, BLT 4, secure',
    new DpSgd({ variables, learningRate: 0.01, momentum: 0.9, noise: noise(blt4, 'secure') }),
  ],
  [
    'DpAdamBc, BLT 4, seeded',
    new DpAdamBc({ variables, learningRate: 0.001, noise: noise(blt4, { seed: 1 }) }),
  ],
  ['DpAdamBc, BLT 4, secure', new DpAdamBc({ variables, learningRate: 0.001, noise: noise(blt4, 'secure') })],
  [
    'DpSgd, identity (DP-SGD), seeded',
    new DpSgd({ variables, learningRate: 0.01, noise: noise(identityStrategy(), { seed: 1 }) }),
  ],
];
for (const [label, optimizer] of optimizers)
  rows.push([`full step: ${label}`, () => optimizer.step(gradientSums, 256)]);

// Rows are timed round-robin, one step each per round, so that load from other processes on the machine
// spreads evenly over them and the ratios stay meaningful.
// CPU time (user + system of this process) is reported beside wall time: it counts only the cycles this
// process got, so it is far less sensitive to other processes than wall time on a shared machine.
const samples = rows.map(() => [] as number[]);
const cpuMicros = rows.map(() => 0);
for (let round = 0; round < warmup + measured; round++) {
  rows.forEach(([, run], i) => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    run();
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    if (round >= warmup) {
      (samples[i] as number[]).push(wall);
      cpuMicros[i] = (cpuMicros[i] as number) + cpu.user + cpu.system;
    }
  });
}
const { cpus, loadavg } = await import('node:os');
console.log(
  `backend ${tf.getBackend()}, ${parameterCount} parameters, ${measured} measured rounds after ${warmup} warm-up`,
);
console.log(
  `node ${process.version}, ${cpus().length} cores, load average before/after: ${loadBefore} / ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('| what | wall median ms/step | wall 10th percentile ms/step | CPU ms/step (mean) |');
console.log('|---|---:|---:|---:|');
rows.forEach(([label], i) => {
  const { median, p10 } = summarise(samples[i] as number[]);
  const cpu = (cpuMicros[i] as number) / measured / 1000;
  console.log(`| ${label} | ${median.toFixed(2)} | ${p10.toFixed(2)} | ${cpu.toFixed(2)} |`);
});
console.log(`tensors alive at the end: ${tf.memory().numTensors} (before the rows: ${tensorsBefore})`);
