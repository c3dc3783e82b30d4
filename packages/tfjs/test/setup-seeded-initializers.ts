import { SeededRandom } from '@cnm/sampler';
import { afterEach, beforeEach, vi } from 'vitest';

// tfjs-layers draws initial weights from Math.random when a layer has no seed. Tests compare float32 results
// against tight tolerances, so every test starts from the same generator state: the same models, the same
// rounding, on every run.
beforeEach(() => {
  const rng = SeededRandom.fromSeed(20261123);
  vi.spyOn(Math, 'random').mockImplementation(() => rng.nextFloat64());
});

afterEach(() => {
  vi.restoreAllMocks();
});
