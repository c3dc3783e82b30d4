import { oneRunEpsilonLowerBound } from '@cnm/accountant';
import { describe, expect, it } from 'vitest';
import { bestOneRunGuesses, GUESS_FRACTIONS, guessCounts, scoreHistogram } from './one-run-guesses';

describe('guessCounts', () => {
  it('takes each fraction of the canaries, half from each end, without repeats and at least 1', () => {
    expect(guessCounts(1000)).toEqual([10, 25, 50, 100, 250, 500]);
    expect(guessCounts(2)).toEqual([1]);
    expect(guessCounts(40)).toEqual([1, 2, 4, 10, 20]);
  });
});

describe('bestOneRunGuesses', () => {
  const delta = 1e-5;
  const confidence = 0.95;

  it('counts the right guesses at the top and bottom and takes the best Bonferroni-split bound', () => {
    // 20 canaries, scores = index; the included are the top 8 and canary 3.
    const m = 20;
    const scores = Float64Array.from({ length: m }, (_, i) => i);
    const included = Uint8Array.from({ length: m }, (_, i) => (i >= 12 || i === 3 ? 1 : 0));
    const best = bestOneRunGuesses([scores], included, { delta, confidence });
    const counts = guessCounts(m);
    const split = 1 - (1 - confidence) / counts.length;
    // Brute force: every k, correct = included among the top k + excluded among the bottom k.
    let expected = { bound: -1, k: 0, correct: 0 };
    for (const k of counts) {
      let correct = 0;
      for (let i = m - k; i < m; i++) correct += included[i] as number;
      for (let i = 0; i < k; i++) correct += 1 - (included[i] as number);
      const bound = oneRunEpsilonLowerBound({
        guesses: 2 * k,
        correct,
        delta,
        confidence: split,
        canaries: m,
      });
      if (bound > expected.bound) expected = { bound, k, correct };
    }
    expect(best).toEqual({
      guesses: 2 * expected.k,
      correct: expected.correct,
      epsilonLowerBound: expected.bound,
      scoring: 0,
    });
  });

  it('splits the confidence over the scorings too, and reports which one won', () => {
    const m = 200;
    const included = Uint8Array.from({ length: m }, (_, i) => i % 2);
    const useless = Float64Array.from({ length: m }, () => 0);
    const perfect = Float64Array.from(included, (v) => v);
    const alone = bestOneRunGuesses([perfect], included, { delta: 0, confidence });
    const both = bestOneRunGuesses([useless, perfect], included, { delta: 0, confidence });
    expect(both.scoring).toBe(1);
    expect(both.correct).toBe(both.guesses);
    expect(both.epsilonLowerBound).toBeLessThan(alone.epsilonLowerBound);
    const split = 1 - (1 - confidence) / (2 * GUESS_FRACTIONS.length);
    expect(both.epsilonLowerBound).toBeCloseTo(
      oneRunEpsilonLowerBound({ guesses: m, correct: m, delta: 0, confidence: split }),
      12,
    );
  });

  it('gives 0 when the scores carry nothing (ties keep the order, which alternates here)', () => {
    const m = 100;
    const included = Uint8Array.from({ length: m }, (_, i) => i % 2);
    const best = bestOneRunGuesses([new Float64Array(m)], included, { delta, confidence });
    expect(best.epsilonLowerBound).toBe(0);
  });

  it('refuses fewer than 2 canaries', () => {
    expect(() => bestOneRunGuesses([new Float64Array(1)], new Uint8Array(1), { delta, confidence })).toThrow(
      /canaries must be at least 2/,
    );
  });
});

describe('scoreHistogram', () => {
  it('puts every score in one bin of its group, the extremes included', () => {
    const scores = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]);
    const included = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const h = scoreHistogram(scores, included, 5);
    expect(h.edges).toEqual([0, 2, 4, 6, 8, 10]);
    expect(h.excluded).toEqual([2, 2, 1, 0, 0]);
    expect(h.included).toEqual([0, 0, 1, 2, 2]);
  });

  it('handles equal scores', () => {
    const h = scoreHistogram(new Float64Array(4).fill(3), Uint8Array.from([1, 0, 1, 0]), 2);
    expect(h.included.reduce((a, b) => a + b)).toBe(2);
    expect(h.excluded.reduce((a, b) => a + b)).toBe(2);
  });
});
