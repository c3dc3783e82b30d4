import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@cnm/tfjs';
import { describe, expect, it } from 'vitest';
import { CLIPPED_SUM_TOLERANCE, checkClippedSums } from './clipping-check';

describe('checkClippedSums', () => {
  it('finds the engine on wasm within float32 rounding of the cpu reference, half the examples clipped', async () => {
    registerWasmTrainingKernels();
    const checks = await checkClippedSums('wasm', 'small-cnn', ['bookkeeping', 'materialized'], 6);
    expect(checks).toHaveLength(2);
    for (const check of checks) {
      expect(check).toMatchObject({ backend: 'wasm', model: 'small-cnn', examples: 6, clipped: 3, ok: true });
      expect(check.relativeError).toBeLessThan(1e-5);
      expect(check.relativeError).toBeLessThan(CLIPPED_SUM_TOLERANCE);
      expect(check.normRelativeError).toBeLessThan(1e-5);
    }
  });
});
