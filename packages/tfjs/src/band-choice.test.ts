import { calibrateAmplifiedBandMf } from '@cnm/accountant';
import { fitBandMf } from '@cnm/core';
import { describe, expect, it } from 'vitest';
import {
  type BandChoiceProblem,
  bandCandidate,
  chooseBands,
  compareBandCandidates,
  maxBandsOf,
} from './band-choice';

const problem: BandChoiceProblem = {
  datasetSize: 400,
  batchSize: 100,
  steps: 12,
  targetEpsilon: 4,
  targetDelta: 1e-5,
  accountant: 'rdp',
  momentum: 0,
};

describe('band choice', () => {
  it('bounds the band count by p ≤ 1 and by the steps', () => {
    expect(maxBandsOf(400, 100, 12)).toBe(4);
    expect(maxBandsOf(400, 100, 3)).toBe(3);
    expect(maxBandsOf(50, 100, 12)).toBe(1);
  });

  it('a candidate is σ(b) from the calibration and RMSE(b) of the fitted banded C', () => {
    const candidate = bandCandidate(problem, 2);
    const sigma = calibrateAmplifiedBandMf({ ...problem, sampleRate: 0.5, bands: 2 });
    const rmse = fitBandMf({ steps: 12, bands: 2, momentum: 0 }).loss;
    expect(candidate).toEqual({ bands: 2, noiseMultiplier: sigma, rmse, expectedError: sigma * rmse });
  });

  it('chooseBands evaluates every feasible b, best first, ties to fewer bands', () => {
    const candidates = chooseBands(problem);
    expect(candidates.map((c) => c.bands).sort()).toEqual([1, 2, 3, 4]);
    expect(candidates).toEqual(
      [1, 2, 3, 4].map((b) => bandCandidate(problem, b)).sort(compareBandCandidates),
    );
    for (let i = 1; i < candidates.length; i++) {
      expect(candidates[i]!.expectedError).toBeGreaterThanOrEqual(candidates[i - 1]!.expectedError);
    }
    const tie = { bands: 1, noiseMultiplier: 1, rmse: 1, expectedError: 1 };
    expect(compareBandCandidates(tie, { ...tie, bands: 3 })).toBeLessThan(0);
  });
});
