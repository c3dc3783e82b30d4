/**
 * Gaussian throughput benchmark: normals per second of the seeded and secure paths of `fillGaussian`, against a
 * Box–Muller sampler over `Math.random` measured in the same run as the baseline.
 *
 * Run from the repository root:  pnpm --filter @cnm/sampler bench
 * Options: --size <n> (default 1e6, Float32Array), --reps <n> (default 30; median reported), --warmup <n> (5).
 * Single-threaded, so every figure is one core. Each repetition is timed by the wall clock and by the process's
 * CPU time (user + system, which also counts V8's helper threads): on a shared machine the CPU-time rate is the
 * steadier figure.
 */
import { cpus, loadavg } from 'node:os';
import { fillGaussian, type RandomGenerator, SecureRandom, SeededRandom } from '../src/index';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`--${name} must be a positive integer`);
  return value;
}

const size = option('size', 1_000_000);
const reps = option('reps', 30);
const warmup = option('warmup', 5);

/** Box–Muller over Math.random, both outputs of every pair used: the usual hand-written baseline. */
function boxMullerMathRandom(out: Float32Array, standardDeviation: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const radius = standardDeviation * Math.sqrt(-2 * Math.log(1 - Math.random()));
    const angle = 2 * Math.PI * Math.random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
}

interface Case {
  readonly name: string;
  readonly run: (out: Float32Array) => void;
}

function fillWith(rng: RandomGenerator, secure: boolean): (out: Float32Array) => void {
  return (out) => fillGaussian(out, 1, rng, { secure });
}

const cases: Case[] = [
  { name: 'baseline: Box–Muller over Math.random', run: (out) => boxMullerMathRandom(out, 1) },
  { name: 'seeded (SeededRandom, ziggurat)', run: fillWith(SeededRandom.fromSeed(1), false) },
  { name: 'secure (SecureRandom, secure: true)', run: fillWith(new SecureRandom(), true) },
  { name: 'SecureRandom, ziggurat (secure: false)', run: fillWith(new SecureRandom(), false) },
  { name: 'SeededRandom, secure: true', run: fillWith(SeededRandom.fromSeed(2), true) },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const out = new Float32Array(size);
for (const { run } of cases) for (let i = 0; i < warmup; i++) run(out);
// Round-robin over the cases, so that load from other processes affects all of them alike and the ratios hold.
const wallSeconds = cases.map((): number[] => []);
const cpuSeconds = cases.map((): number[] => []);
for (let rep = 0; rep < reps; rep++) {
  cases.forEach(({ run }, c) => {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    run(out);
    wallSeconds[c]!.push(Number(process.hrtime.bigint() - start) / 1e9);
    const cpu = process.cpuUsage(cpuStart);
    cpuSeconds[c]!.push((cpu.user + cpu.system) / 1e6);
  });
}
const results = cases.map(({ name }, c) => ({
  name,
  rate: size / median(wallSeconds[c]!),
  cpuRate: size / median(cpuSeconds[c]!),
}));

const baseline = results[0]!.rate;
console.log(
  `fillGaussian throughput, Float32Array of ${size}, median of ${reps} round-robin reps after ${warmup} warm-up, one core`,
);
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log('| path | million normals/s (wall) | vs. baseline | million normals per CPU-second |');
console.log('| --- | ---: | ---: | ---: |');
for (const { name, rate, cpuRate } of results) {
  console.log(
    `| ${name} | ${(rate / 1e6).toFixed(1)} | ${(rate / baseline).toFixed(2)}× | ${(cpuRate / 1e6).toFixed(1)} |`,
  );
}
console.log('');
console.log(
  'Wall-clock rates drop when other processes compete for the cores; CPU-second rates much less so.',
);
