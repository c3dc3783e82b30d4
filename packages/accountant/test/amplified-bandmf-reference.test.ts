/**
 * Calibrated noise multipliers of amplified banded MF against the independent reference of
 * packages/core/scripts/generate-bandmf-reference.py (integer-order RDP of the Poisson-subsampled Gaussian, orders
 * 2..256, scipy brentq). Our RDP uses a richer set of orders (fractional ones too), so its ε is at most the
 * reference's at every σ and its calibrated σ at most the reference's, and close to it.
 */
import { describe, expect, it } from 'vitest';
import { calibrateAmplifiedBandMf } from '../src/amplified-band-mf';
import reference from './fixtures/amplified-bandmf-reference.json' with { type: 'json' };

describe('amplified banded MF calibration reference', () => {
  it('calibrates σ(b) like the independent integer-order RDP (never above it, within 3%)', () => {
    for (const row of reference.rows) {
      for (const index of [0, 1, 4, 9, 19]) {
        const bands = row.bands[index]!;
        const sigma = calibrateAmplifiedBandMf({
          targetEpsilon: row.epsilon,
          targetDelta: reference.delta,
          sampleRate: (reference.batchSize * bands) / reference.datasetSize,
          steps: reference.steps,
          bands,
          accountant: 'rdp',
        });
        expect(sigma).toBeLessThanOrEqual(row.sigma[index]! * (1 + 1e-6));
        expect(sigma).toBeGreaterThan(row.sigma[index]! * 0.97);
      }
    }
  });
});
