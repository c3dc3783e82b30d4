import {
  calibrateGaussian,
  calibrateNoiseMultiplier,
  computeEpsilon,
  gaussianEpsilon,
} from '@cnm/accountant';

// DP-SGD with Poisson sampling (sampleRate = 1 means no sampling).
computeEpsilon({ noiseMultiplier: 1, sampleRate: 1024 / 60000, steps: 2930, delta: 1e-5, accountant: 'pld' }); // 5.7717
computeEpsilon({ noiseMultiplier: 1, sampleRate: 1024 / 60000, steps: 2930, delta: 1e-5, accountant: 'rdp' }); // 6.3029

// The noise multiplier reaching a target; epsilon at the returned value is <= targetEpsilon.
calibrateNoiseMultiplier({
  targetEpsilon: 8,
  targetDelta: 1e-5,
  sampleRate: 1024 / 60000,
  steps: 2930,
  accountant: 'pld',
}); // 0.8564

// Gaussian mechanisms without amplification (e.g. a correlated-noise mechanism with `compositions`
// participations of sensitivity 1), exactly.
gaussianEpsilon({ noiseMultiplier: 4, compositions: 10, delta: 1e-6 });
calibrateGaussian({ targetEpsilon: 2, targetDelta: 1e-6, compositions: 10 });
