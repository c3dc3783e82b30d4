/**
 * The guesses of a one-run audit (Steinke, Nasr & Jagielski 2023): sort the canaries by score, guess "included"
 * for the k highest and "excluded" for the k lowest, abstain on the rest. Which k works best depends on the run, so
 * every k of a fixed grid is tried, on each of the scorings given (e.g. a matched filter for the claimed noise
 * correlation and one for i.i.d. noise), and the bound of each is taken at confidence
 * `1 − (1 − confidence) / (scorings × |grid|)`: by the union bound the largest of them holds at `confidence` (the
 * choices cost that split, nothing else).
 */
import { oneRunEpsilonLowerBound } from '@cnm/accountant';

/** Fractions of the canaries guessed on (half from the top, half from the bottom) that the audit tries. */
export const GUESS_FRACTIONS: readonly number[] = Object.freeze([0.02, 0.05, 0.1, 0.2, 0.5, 1]);

/** The best guesses of an audit. */
export interface OneRunGuesses {
  /** Guesses r made (2k). */
  readonly guesses: number;
  /** Correct guesses v. */
  readonly correct: number;
  /** The epsilon lower bound of those guesses, at the confidence of one choice. */
  readonly epsilonLowerBound: number;
  /** Which of the scorings gave them (its index). */
  readonly scoring: number;
}

/** The numbers k of top and of bottom guesses the grid gives for `canaries` canaries (distinct, >= 1). */
export function guessCounts(canaries: number): number[] {
  const counts = GUESS_FRACTIONS.map((f) => Math.max(1, Math.floor((f * canaries) / 2)));
  return [...new Set(counts)];
}

/**
 * Guesses from each of `scorings` (one score per canary each) against the truth `included`: the best bound over
 * the scorings and {@link guessCounts}, each at confidence `1 − (1 − confidence) / (scorings × grid size)`. Ties
 * keep the canaries' order, so equal scores never help.
 */
export function bestOneRunGuesses(
  scorings: readonly Float64Array[],
  included: Uint8Array,
  options: { readonly delta: number; readonly confidence: number },
): OneRunGuesses {
  const m = included.length;
  if (m < 2) throw new RangeError(`canaries must be at least 2, got ${m}`);
  if (scorings.length === 0) throw new RangeError('internal: no scoring');
  const counts = guessCounts(m);
  const confidence = 1 - (1 - options.confidence) / (counts.length * scorings.length);
  let best: OneRunGuesses | undefined;
  scorings.forEach((scores, scoring) => {
    if (scores.length !== m) throw new RangeError(`internal: ${scores.length} scores for ${m} canaries`);
    const order = Array.from({ length: m }, (_, i) => i).sort(
      (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
    );
    for (const k of counts) {
      let correct = 0;
      for (let r = 0; r < k; r++) correct += included[order[r] as number] as number;
      for (let r = m - k; r < m; r++) correct += 1 - (included[order[r] as number] as number);
      const epsilonLowerBound = oneRunEpsilonLowerBound({
        guesses: 2 * k,
        correct,
        delta: options.delta,
        confidence,
        canaries: m,
      });
      if (best === undefined || epsilonLowerBound > best.epsilonLowerBound) {
        best = { guesses: 2 * k, correct, epsilonLowerBound, scoring };
      }
    }
  });
  return best as OneRunGuesses;
}

/** Counts of the scores of included and of excluded canaries in equal-width bins. */
export interface ScoreHistogram {
  /** Bin edges, `bins + 1` increasing numbers. */
  readonly edges: readonly number[];
  /** Included canaries per bin. */
  readonly included: readonly number[];
  /** Excluded canaries per bin. */
  readonly excluded: readonly number[];
}

/** The histogram of the scores by inclusion (`bins` equal bins over their range). */
export function scoreHistogram(scores: Float64Array, included: Uint8Array, bins = 20): ScoreHistogram {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const s of scores) {
    low = Math.min(low, s);
    high = Math.max(high, s);
  }
  if (!(high > low)) high = low + 1;
  const width = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + i * width));
  const inCounts = new Array<number>(bins).fill(0);
  const outCounts = new Array<number>(bins).fill(0);
  scores.forEach((s, i) => {
    const bin = Math.min(bins - 1, Math.floor((s - low) / width));
    if (included[i] === 1) inCounts[bin] = (inCounts[bin] as number) + 1;
    else outCounts[bin] = (outCounts[bin] as number) + 1;
  });
  return { edges, included: inCounts, excluded: outCounts };
}
