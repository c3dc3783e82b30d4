import { type BandCandidate, bandCandidate, compareBandCandidates, maxBandsOf } from '@cnm/tfjs';
import type { TrainingSettings } from './training';

/** Progress of {@link searchBands}: `done` of `total` band counts evaluated, the best so far. */
export interface BandSearchProgress {
  readonly done: number;
  readonly total: number;
  readonly best: BandCandidate;
}

/** The chosen band count and what the search looked at. */
export interface BandSearchResult {
  readonly best: BandCandidate;
  /** Band counts evaluated: 1 … total. */
  readonly total: number;
  /** Wall time of the search, in milliseconds. */
  readonly milliseconds: number;
}

/**
 * The engine's `bands: 'auto'` choice (smallest expected noise error σ(b) · RMSE(b) over every feasible b), made one
 * band count at a time so that the page can repaint, show progress and be stopped between them: each candidate costs
 * one PLD noise calibration, about a second in a browser for the default run. The problem is the one the engine
 * poses for `'auto'` (steps of one band, the plain SGD workload of the page, PLD accounting), so the result is the
 * band count the engine would choose; the run is then built with it as a number.
 *
 * @returns `undefined` when `shouldStop` turned true before the end.
 */
export async function searchBands(
  datasetSize: number,
  settings: TrainingSettings,
  onProgress: (progress: BandSearchProgress) => void = () => {},
  shouldStop: () => boolean = () => false,
): Promise<BandSearchResult | undefined> {
  const started = performance.now();
  const { batchSize } = settings;
  // One band: one expected pass over the data is round(N / B) steps, as the engine plans it.
  const steps = Math.max(1, Math.round(datasetSize / batchSize)) * settings.epochs;
  const problem = {
    datasetSize,
    batchSize,
    steps,
    targetEpsilon: settings.targetEpsilon,
    targetDelta: settings.targetDelta,
    accountant: 'pld' as const,
    momentum: 0,
  };
  const total = maxBandsOf(datasetSize, batchSize, steps);
  let best: BandCandidate | undefined;
  for (let bands = 1; bands <= total; bands++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (shouldStop()) return undefined;
    const candidate = bandCandidate(problem, bands);
    if (best === undefined || compareBandCandidates(candidate, best) < 0) best = candidate;
    onProgress({ done: bands, total, best });
  }
  return { best: best!, total, milliseconds: performance.now() - started };
}
