/**
 * A short tour of @cnm/sampler: generators, Gaussian noise, the four batch samplers with the participation
 * they declare, and exact resume from a saved state. Run from the repository root with `pnpm demo`.
 */
import {
  BallsInBinsSampler,
  type BatchSampler,
  CyclicSampler,
  fillGaussian,
  PoissonSampler,
  SecureRandom,
  SeededRandom,
  ShuffleSampler,
} from '../src/index';

function heading(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);
}

function formatBatch(batch: Int32Array): string {
  return batch.length === 0 ? '[] (empty, still a step)' : `[${Array.from(batch).join(', ')}]`;
}

// 1. Generators -------------------------------------------------------------------------------------------------
heading('Generators');
const rng = SeededRandom.fromSeed(2024);
console.log(
  'SeededRandom.fromSeed(2024), three uniforms in [0, 1):',
  [0, 1, 2].map(() => rng.nextFloat64().toFixed(6)),
);
const saved = rng.exportState();
console.log('exported state (plain JSON):', JSON.stringify(saved));
const next = [0, 1, 2].map(() => rng.nextInt(1, 7));
const replay = SeededRandom.fromState(JSON.parse(JSON.stringify(saved)));
console.log(
  'next three dice rolls:',
  next,
  '| from the restored state:',
  [0, 1, 2].map(() => replay.nextInt(1, 7)),
);
const secure = new SecureRandom();
console.log(
  'SecureRandom (crypto.getRandomValues), three dice rolls:',
  [0, 1, 2].map(() => secure.nextInt(1, 7)),
);

// 2. Gaussian noise ---------------------------------------------------------------------------------------------
heading('Gaussian noise: 200,000 samples of N(0, 1), ziggurat');
const noise = new Float32Array(200_000);
fillGaussian(noise, 1, SeededRandom.fromSeed(7));
const binWidth = 0.5;
const lowest = -4;
const counts = new Array<number>(16).fill(0);
for (const x of noise) {
  const bin = Math.floor((x - lowest) / binWidth);
  if (bin >= 0 && bin < counts.length) counts[bin]!++;
}
const tallest = Math.max(...counts);
counts.forEach((count, bin) => {
  const from = lowest + bin * binWidth;
  const label = `${from >= 0 ? ' ' : ''}${from.toFixed(1)} .. ${from + binWidth >= 0 ? ' ' : ''}${(from + binWidth).toFixed(1)}`;
  const bar = '█'.repeat(Math.round((count / tallest) * 50));
  console.log(`${label} │${bar} ${count}`);
});
function moments(values: Float32Array): string {
  let sum = 0;
  let squares = 0;
  for (const x of values) {
    sum += x;
    squares += x * x;
  }
  const mean = sum / values.length;
  return `mean ${mean.toFixed(4)}, standard deviation ${Math.sqrt(squares / values.length - mean * mean).toFixed(4)}`;
}
console.log(`fast mode, sigma 1:   ${moments(noise)}`);
fillGaussian(noise, 2.5, secure, { secure: true });
console.log(`secure mode (SecureRandom, 4 draws averaged), sigma 2.5: ${moments(noise)}`);

// 3. Batch samplers ---------------------------------------------------------------------------------------------
heading('Batch samplers over N = 12 examples');
const samplers: [string, BatchSampler][] = [
  [
    'Poisson, q = 0.25',
    new PoissonSampler({ datasetSize: 12, sampleRate: 0.25, rng: SeededRandom.fromSeed(1) }),
  ],
  [
    'Shuffle, batch 5, drop',
    new ShuffleSampler({ datasetSize: 12, batchSize: 5, rng: SeededRandom.fromSeed(1) }),
  ],
  ['Cyclic, batch 5', new CyclicSampler({ datasetSize: 12, batchSize: 5 })],
  [
    'Balls-in-bins, 3 bins',
    new BallsInBinsSampler({ datasetSize: 12, binCount: 3, rng: SeededRandom.fromSeed(1) }),
  ],
];
for (const [name, sampler] of samplers) {
  console.log(
    `\n${name}: ${sampler.stepsPerEpoch} steps per epoch, participation ${JSON.stringify(sampler.participation)}`,
  );
  for (let step = 0; step < 6; step++) console.log(`  step ${step}: ${formatBatch(sampler.nextBatch())}`);
}

// 4. Resume -----------------------------------------------------------------------------------------------------
heading('Resume: stop after 2 batches, save, continue elsewhere');
const original = new ShuffleSampler({ datasetSize: 12, batchSize: 4, rng: SeededRandom.fromSeed(99) });
original.nextBatch();
original.nextBatch();
const checkpoint = JSON.stringify(original.exportState());
console.log(`checkpoint: ${checkpoint.length} bytes of JSON (step, current permutation, generator state)`);
const afterwards = [0, 1, 2, 3].map(() => formatBatch(original.nextBatch()));
const resumed = new ShuffleSampler({ datasetSize: 12, batchSize: 4, rng: SeededRandom.fromSeed(0) });
resumed.restoreState(JSON.parse(checkpoint));
const fromCheckpoint = [0, 1, 2, 3].map(() => formatBatch(resumed.nextBatch()));
afterwards.forEach((batch, i) => {
  console.log(`  original ${batch}   resumed ${fromCheckpoint[i]}`);
});
console.log(`identical: ${afterwards.every((batch, i) => batch === fromCheckpoint[i])}`);
