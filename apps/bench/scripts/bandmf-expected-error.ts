/**
 * Expected noise error of amplified banded MF relative to DP-SGD, in float64: for each band count b with
 * p = batchSize · b / N ≤ 1, σ(b) is calibrated (PLD, ε never above the target) for ⌈n/b⌉ Poisson-sampled Gaussian
 * steps and RMSE(b) is the prefix-sum RMSE of the best unit-norm b-banded Toeplitz C (fitBandMf); the expected error
 * is σ(b) · RMSE(b), and b = 1 is DP-SGD. Prints the best b and the ratio to DP-SGD per ε, and writes them as JSON.
 *
 * Run: pnpm --filter cnm-bench exec tsx --conditions=@cnm/source scripts/bandmf-expected-error.ts [--out file.json]
 * [--dataset-size 60000] [--batch-size 1024] [--epochs 50] (the defaults are the full table's setup).
 */
import { writeFileSync } from 'node:fs';
import { calibrateAmplifiedBandMf } from '@cnm/accountant';
import { fitBandMf } from '@cnm/core';
import { Command } from 'commander';
import { positiveInteger } from '../src/cli-arguments';

const options = new Command()
  .option('--dataset-size <n>', 'training examples N', positiveInteger('dataset-size'), 60_000)
  .option('--batch-size <n>', 'expected batch size', positiveInteger('batch-size'), 1024)
  .option('--epochs <n>', 'epochs', positiveInteger('epochs'), 50)
  .option('--out <file>', 'JSON output file')
  .parse()
  .opts<{ datasetSize: number; batchSize: number; epochs: number; out?: string }>();
const { datasetSize, batchSize, epochs } = options;
if (batchSize > datasetSize) throw new RangeError(`batch-size must be at most dataset-size (${datasetSize})`);
const delta = datasetSize ** -1.1;
// The engine's convention: round(N / B) steps per epoch (59 here), as the cyclic Poisson and Poisson samplers count.
const steps = Math.round(datasetSize / batchSize) * epochs;
const maxBands = Math.floor(datasetSize / batchSize);
const epsilons = [1, 2, 4, 8];

const rmse: number[] = [];
for (let bands = 1; bands <= maxBands; bands++) rmse[bands] = fitBandMf({ steps, bands }).loss;
const rows = epsilons.map((targetEpsilon) => {
  const perBand = [];
  for (let bands = 1; bands <= maxBands; bands++) {
    const sampleRate = (batchSize * bands) / datasetSize;
    const sigma = calibrateAmplifiedBandMf({ targetEpsilon, targetDelta: delta, sampleRate, steps, bands });
    perBand.push({
      bands,
      sigma,
      rmse: rmse[bands] as number,
      expectedError: sigma * (rmse[bands] as number),
    });
  }
  const best = perBand.reduce((a, b) => (b.expectedError < a.expectedError ? b : a));
  const dpSgd = perBand[0] as (typeof perBand)[number];
  const ratio = best.expectedError / dpSgd.expectedError;
  console.log(
    `ε = ${targetEpsilon}: best b = ${best.bands}, σ = ${best.sigma.toFixed(4)} (DP-SGD ${dpSgd.sigma.toFixed(4)}), ratio ${ratio.toFixed(4)}`,
  );
  return { targetEpsilon, bestBands: best.bands, ratioToDpSgd: ratio, perBand };
});
if (options.out !== undefined) {
  writeFileSync(
    options.out,
    `${JSON.stringify({ datasetSize, batchSize, epochs, steps, delta, rows }, null, 1)}\n`,
  );
}
