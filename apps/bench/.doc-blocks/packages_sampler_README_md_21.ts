import { CyclicSampler, fillGaussian, PoissonSampler, SecureRandom, SeededRandom } from '@cnm/sampler';

// Reproducible experiment: everything from one seed, each consumer on its own non-overlapping stream.
const rng = SeededRandom.fromSeed(42);
const sampler = new PoissonSampler({ datasetSize: 60_000, sampleRate: 256 / 60_000, rng: rng.jumped() });
const batch = sampler.nextBatch(); // Int32Array of indices, possibly empty
console.log(sampler.participation); // { kind: 'poisson', sampleRate: 0.00426… }

const noise = new Float32Array(1_000);
fillGaussian(noise, 1.1, rng); // N(0, 1.1²)

// Checkpoint and resume: the same batches and the same noise stream continue bit for bit.
const checkpoint = JSON.stringify({ sampler: sampler.exportState(), rng: rng.exportState() });

// A real private run: operating-system randomness and the hardened Gaussian method.
const secure = new SecureRandom();
fillGaussian(noise, 1.1, secure, { secure: true });

// Matrix-factorization mechanisms: fixed batches, each example exactly b = ceil(N / B) steps apart.
const cyclic = new CyclicSampler({ datasetSize: 60_000, batchSize: 512, rng: secure });
console.log(cyclic.participation); // { kind: 'cyclic', minSeparation: 118, participationsPerEpoch: 1, batchSize: 512 }
