/**
 * Benchmark of the accountant entry points on the MNIST DP-SGD setting (q = 1024/60000, 2930 steps,
 * delta = 1e-5). Run from the repository root:
 *
 *   pnpm exec tsx packages/accountant/bench/accountant.bench.ts
 *
 * Prints, for each task, the first (cold) run and the median wall-clock and CPU times of the following
 * runs, plus a baseline measured in the same run (one real FFT of 2^18 points with fft.js, including
 * its table setup) to compare machines. CPU time counts all threads of the process (the garbage
 * collector's helper threads included), so it can exceed the wall time.
 */
import FFT from 'fft.js';
import { calibrateNoiseMultiplier, computeEpsilon } from '../src/index';

const sampleRate = 1024 / 60000;
const steps = 2930;
const delta = 1e-5;

/** Wall-clock and CPU time (user + system of this process, less sensitive to other jobs) of one run. */
function time<T>(run: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = run();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function measure<T>(
  name: string,
  run: () => T,
  repeats: number,
): { name: string; coldMs: number; medianMs: number; medianCpuMs: number; value: T } {
  const cold = time(run);
  const warm = Array.from({ length: repeats }, () => time(run));
  return {
    name,
    coldMs: cold.ms,
    medianMs: median(warm.map((w) => w.ms)),
    medianCpuMs: median(warm.map((w) => w.cpuMs)),
    value: cold.value,
  };
}

const baseline = measure(
  'baseline: fft.js real FFT, 2^18 points',
  () => {
    const fft = new FFT(2 ** 18);
    const input = new Float64Array(2 ** 18).fill(1e-6);
    const output = new Float64Array(2 ** 19);
    fft.realTransform(output, input);
    return output[0]!;
  },
  9,
);

const results = [
  measure(
    'PLD epsilon (sigma = 1)',
    () => computeEpsilon({ noiseMultiplier: 1, sampleRate, steps, delta, accountant: 'pld' }),
    5,
  ),
  measure(
    'RDP epsilon (sigma = 1)',
    () => computeEpsilon({ noiseMultiplier: 1, sampleRate, steps, delta, accountant: 'rdp' }),
    9,
  ),
  measure(
    'PLD calibration (epsilon = 8)',
    () =>
      calibrateNoiseMultiplier({
        targetEpsilon: 8,
        targetDelta: delta,
        sampleRate,
        steps,
        accountant: 'pld',
      }),
    3,
  ),
  measure(
    'RDP calibration (epsilon = 8)',
    () =>
      calibrateNoiseMultiplier({
        targetEpsilon: 8,
        targetDelta: delta,
        sampleRate,
        steps,
        accountant: 'rdp',
      }),
    9,
  ),
];

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
console.log(
  '| task | result | cold wall (ms) | median wall (ms) | median CPU (ms) | median wall / baseline |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of [baseline, ...results]) {
  console.log(
    `| ${r.name} | ${r.value.toPrecision(6)} | ${r.coldMs.toFixed(1)} | ${r.medianMs.toFixed(1)} | ${r.medianCpuMs.toFixed(1)} | ${(r.medianMs / baseline.medianMs).toFixed(1)} |`,
  );
}
