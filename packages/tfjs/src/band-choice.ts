/**
 * The band count of amplified banded MF. More bands lower the prefix-sum error of the correlated noise (RMSE(b)
 * of the best unit-norm b-banded C) but raise the sampling rate p = batchSize · b / N and shorten the composition
 * to ceil(n / b) steps, which raises the noise multiplier σ(b) a target ε needs. `'auto'` minimises the expected
 * noise error σ(b) · RMSE(b) over every feasible b (1 ≤ b ≤ N / batchSize, so p ≤ 1); b = 1 is DP-SGD, so the
 * choice is never worse than DP-SGD in expected error.
 */
import { calibrateAmplifiedBandMf } from '@cnm/accountant';
import { fitBandMf } from '@cnm/core';

/** What the choice depends on. */
export interface BandChoiceProblem {
  /** Examples N. */
  readonly datasetSize: number;
  /** Expected batch size B (p = B · b / N). */
  readonly batchSize: number;
  /** Training steps n. */
  readonly steps: number;
  /** Target ε of the whole run. */
  readonly targetEpsilon: number;
  /** Target δ of the whole run. */
  readonly targetDelta: number;
  /** Accountant of the calibration. */
  readonly accountant: 'pld' | 'rdp';
  /** Heavy-ball momentum of the SGD workload (0 for Adam). */
  readonly momentum: number;
}

/** One candidate band count. */
export interface BandCandidate {
  /** Band count b. */
  readonly bands: number;
  /** Noise multiplier σ(b) calibrated to the target. */
  readonly noiseMultiplier: number;
  /** RMSE of the prefix-sum noise of the best b-banded C, unit noise. */
  readonly rmse: number;
  /** σ(b) · RMSE(b). */
  readonly expectedError: number;
}

/** The largest feasible band count: p = batchSize · b / datasetSize ≤ 1 and b ≤ steps. */
export function maxBandsOf(datasetSize: number, batchSize: number, steps: number): number {
  return Math.max(1, Math.min(Math.floor(datasetSize / batchSize), steps));
}

/**
 * One candidate of {@link chooseBands}: σ(b) calibrated to the target and RMSE(b) of the best b-banded C. Exposed so
 * that an interactive caller (a web page) can evaluate the candidates one at a time and show progress; it costs one
 * noise calibration (about a second with the PLD accountant for a few hundred steps).
 */
export function bandCandidate(problem: BandChoiceProblem, bands: number): BandCandidate {
  const { datasetSize, batchSize, steps, targetEpsilon, targetDelta, accountant, momentum } = problem;
  const sampleRate = Math.min(1, (batchSize * bands) / datasetSize);
  const noiseMultiplier = calibrateAmplifiedBandMf({
    targetEpsilon,
    targetDelta,
    sampleRate,
    steps,
    bands,
    accountant,
  });
  const rmse = fitBandMf({ steps, bands, momentum }).loss;
  return { bands, noiseMultiplier, rmse, expectedError: noiseMultiplier * rmse };
}

/** Orders candidates best first: smallest expected error, then fewest bands. */
export function compareBandCandidates(a: BandCandidate, b: BandCandidate): number {
  return a.expectedError - b.expectedError || a.bands - b.bands;
}

/**
 * Evaluates every feasible band count and returns them with the best (smallest expected error) first; this is the
 * choice of `bands: 'auto'`.
 */
export function chooseBands(problem: BandChoiceProblem): BandCandidate[] {
  const { datasetSize, batchSize, steps } = problem;
  const candidates: BandCandidate[] = [];
  for (let bands = 1; bands <= maxBandsOf(datasetSize, batchSize, steps); bands++) {
    candidates.push(bandCandidate(problem, bands));
  }
  return candidates.sort(compareBandCandidates);
}
