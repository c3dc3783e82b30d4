/**
 * Property tests (fast-check) of the audit bounds: monotone where they must be, never above the epsilon
 * of a mechanism whose typical outcome they see, and false alarms at most 1 - confidence of the time,
 * checked exactly by summing the outcome distribution of the worst-case (randomized response) auditor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialLogPmf } from '../src/binomial';
import { clopperPearsonEpsilonLowerBound, oneRunEpsilonLowerBound } from '../src/index';

const confidence = fc.double({ min: 0.5, max: 0.999, noNaN: true });
const guessesAndCorrect = fc
  .integer({ min: 1, max: 3000 })
  .chain((guesses) => fc.tuple(fc.constant(guesses), fc.integer({ min: 0, max: guesses })));
const pure = (guesses: number, correct: number, c: number) =>
  oneRunEpsilonLowerBound({ guesses, correct, delta: 0, confidence: c });

describe('one-run bound', () => {
  it('grows with the correct guesses and shrinks with the confidence', () => {
    fc.assert(
      fc.property(guessesAndCorrect, confidence, ([r, v], c) => {
        if (v < r) expect(pure(r, v + 1, c)).toBeGreaterThanOrEqual(pure(r, v, c));
        expect(pure(r, v, Math.min(0.9999, c + 0.01))).toBeLessThanOrEqual(pure(r, v, c));
      }),
    );
  });

  it('is at most epsilon when v is at the expectation of epsilon-DP randomized response', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 8, noNaN: true }),
        confidence,
        (r, eps, c) => {
          const correct = Math.floor((r * Math.exp(eps)) / (1 + Math.exp(eps)));
          expect(pure(r, correct, c)).toBeLessThanOrEqual(eps);
        },
      ),
    );
  });

  it('with delta > 0 is at most the pure bound and decreases in delta', () => {
    fc.assert(
      fc.property(guessesAndCorrect, fc.double({ min: 1e-9, max: 1e-3, noNaN: true }), ([r, v], delta) => {
        const withDelta = (d: number) =>
          oneRunEpsilonLowerBound({ guesses: r, correct: v, delta: d, confidence: 0.95, canaries: 2 * r });
        expect(withDelta(delta)).toBeLessThanOrEqual(pure(r, v, 0.95));
        expect(withDelta(2 * delta)).toBeLessThanOrEqual(withDelta(delta));
      }),
      { numRuns: 50 },
    );
  });

  it('flags an epsilon-DP randomized response with probability at most 1 - confidence (exact sum)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        confidence,
        (r, eps, c) => {
          const q = 1 / (1 + Math.exp(-eps));
          let falseAlarm = 0;
          for (let v = 0; v <= r; v++) {
            if (pure(r, v, c) > eps) falseAlarm += Math.exp(binomialLogPmf(v, r, q));
          }
          expect(falseAlarm).toBeLessThanOrEqual(1 - c + 1e-12);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('multi-run Clopper-Pearson bound', () => {
  it('flags an (epsilon, delta)-DP test at its error trade-off with probability at most 1 - confidence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, eps, delta, share) => {
          // A point on the boundary FPR + e^eps FNR = 1 - delta.
          const falsePositiveRate = share * (1 - delta);
          const falseNegativeRate = (1 - delta - falsePositiveRate) / Math.exp(eps);
          let falseAlarm = 0;
          for (let fp = 0; fp <= n; fp++) {
            const pFp = Math.exp(binomialLogPmf(fp, n, falsePositiveRate));
            for (let fn = 0; fn <= n; fn++) {
              const bound = clopperPearsonEpsilonLowerBound({
                falsePositives: fp,
                negatives: n,
                falseNegatives: fn,
                positives: n,
                delta,
                confidence: 0.9,
              });
              if (bound > eps) falseAlarm += pFp * Math.exp(binomialLogPmf(fn, n, falseNegativeRate));
            }
          }
          expect(falseAlarm).toBeLessThanOrEqual(0.1 + 1e-12);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('grows as the error counts shrink', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, a, b) => {
          const fp = Math.floor(a * n);
          const fn = Math.floor(b * n);
          const at = (falsePositives: number, falseNegatives: number) =>
            clopperPearsonEpsilonLowerBound({
              falsePositives,
              negatives: n,
              falseNegatives,
              positives: n,
              delta: 1e-5,
              confidence: 0.95,
            });
          if (fp > 0) expect(at(fp - 1, fn)).toBeGreaterThanOrEqual(at(fp, fn) - 1e-12);
          if (fn > 0) expect(at(fp, fn - 1)).toBeGreaterThanOrEqual(at(fp, fn) - 1e-12);
        },
      ),
    );
  });
});
