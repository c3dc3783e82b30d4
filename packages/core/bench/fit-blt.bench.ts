/**
 * Benchmark of fitBlt on the two settings of issue 4 (goal: each ≤ 2 s on the 2-core machine).
 * Run from the repository root: pnpm --filter @cnm/core bench
 * Baseline in the same run: one O(n) direct evaluation of the loss of the fitted BLT (coefficients, inverse
 * coefficients, sensitivity and error by summation), which the closed forms used by the fitter avoid.
 */
import { performance } from 'node:perf_hooks';
import { bltStrategy, type FitBltOptions, fitBlt, strategyLoss } from '../src/index';

interface Setting {
  readonly label: string;
  readonly options: FitBltOptions;
}

const settings: Setting[] = [
  {
    label: 'n = 2930, b = 59, k = 50, max error, bufferCount auto',
    options: { steps: 2930, minSeparation: 59, maxParticipations: 50, error: 'max', bufferCount: 'auto' },
  },
  {
    label: 'n = 100,000, single participation, max error, 4 buffers',
    options: { steps: 100_000, maxParticipations: 1, error: 'max', bufferCount: 4 },
  },
];

const runs = Number(process.env.BENCH_RUNS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

console.log(`node ${process.version}, ${runs} timed runs after one timed first (cold) call\n`);
console.log(
  '| setting | first call ms | median ms | min ms | max ms | loss | buffers | iterations | converged | direct O(n) loss eval ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const { label, options } of settings) {
  const coldStart = performance.now();
  fitBlt(options);
  const coldMs = performance.now() - coldStart;
  const times: number[] = [];
  let result = fitBlt(options);
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    result = fitBlt(options);
    times.push(performance.now() - start);
  }
  const participation = {
    minSeparation: options.minSeparation ?? options.steps,
    maxParticipations: options.maxParticipations ?? 1,
  };
  const directStart = performance.now();
  const direct = strategyLoss(bltStrategy(result.blt), { steps: options.steps, participation });
  const directMs = performance.now() - directStart;
  const directLoss = options.error === 'rmse' ? direct.rmseLoss : direct.maxErrorLoss;
  if (Math.abs(directLoss / result.loss - 1) > 1e-8) {
    throw new Error(`closed-form loss ${result.loss} disagrees with the direct ${directLoss}`);
  }
  console.log(
    `| ${label} | ${coldMs.toFixed(0)} | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} | ${Math.max(...times).toFixed(0)} | ` +
      `${result.loss.toFixed(5)} | ${result.bufferCount} | ${result.iterations} | ${result.converged} | ${directMs.toFixed(1)} |`,
  );
}
