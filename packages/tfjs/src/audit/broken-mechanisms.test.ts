import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from './audit-privacy';
import { auditOptions, SLOTS } from './audit-test-setup';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Claimed ε = 1 at δ = 1e-5 (μ ≈ 0.27). Each fault is sized so that the mechanism really run has μ ≳ 2, which
// 500 canaries detect (a μ-GDP mechanism gives about ε ≥ 2 there), and each case checks the same run without the
// fault stays below the claim.
const SEEDS = [1, 2, 3];

describe('the audit flags broken mechanisms', () => {
  it("i.i.d. noise at the BLT's noise multiplier (Multi-Epoch-BLT, 32 epochs: μ = √32 / σ, not 1 / σ)", async () => {
    for (const seed of SEEDS) {
      const options = auditOptions('Multi-Epoch-BLT', seed, { epochs: 32, batchSize: SLOTS / 2 });
      const broken = await runAudit(options, { fault: 'iid-noise' });
      expect(broken.epsilonLowerBound).toBeGreaterThan(broken.claimedEpsilon);
      const correct = await runAudit(options, {});
      expect(correct.epsilonLowerBound).toBeLessThanOrEqual(correct.claimedEpsilon);
    }
  }, 60_000);

  it('the noise calibrated to a sensitivity without its cross terms (streaming BLT, every step, 128 epochs)', async () => {
    for (const seed of SEEDS) {
      const options = auditOptions('BLT', seed, { epochs: 128, batchSize: SLOTS });
      const broken = await runAudit(options, { fault: 'dropped-cross-terms' });
      expect(broken.epsilonLowerBound).toBeGreaterThan(broken.claimedEpsilon);
      const correct = await runAudit(options, {});
      expect(correct.epsilonLowerBound).toBeLessThanOrEqual(correct.claimedEpsilon);
    }
  }, 60_000);

  it('no clipping (DP-SGD-BASE, canary gradients of norm 10 x maxGradNorm)', async () => {
    for (const seed of SEEDS) {
      const options = auditOptions('DP-SGD-BASE', seed);
      const broken = await runAudit(options, { fault: 'no-clipping', canaryGradientNorm: 10 });
      expect(broken.epsilonLowerBound).toBeGreaterThan(broken.claimedEpsilon);
      const clipped = await runAudit(options, { canaryGradientNorm: 10 });
      expect(clipped.epsilonLowerBound).toBeLessThanOrEqual(clipped.claimedEpsilon);
    }
  }, 60_000);
});
