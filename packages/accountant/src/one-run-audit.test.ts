import { describe, expect, it } from 'vitest';
import { binomialSf } from './binomial';
import { oneRunEpsilonLowerBound, oneRunPValue } from './one-run-audit';

const bound = (guesses: number, correct: number, confidence = 0.95) =>
  oneRunEpsilonLowerBound({ guesses, correct, delta: 0, confidence });

describe('oneRunEpsilonLowerBound, delta = 0', () => {
  it('matches the worked examples', () => {
    expect(bound(100, 80)).toBeCloseTo(0.9584, 4);
    expect(bound(1000, 620)).toBeCloseTo(0.3806, 4);
  });

  it('is the largest epsilon whose binomial tail is at most 1 - confidence', () => {
    const epsilon = bound(100, 80);
    const accuracy = (e: number) => 1 / (1 + Math.exp(-e));
    expect(binomialSf(80, 100, accuracy(epsilon))).toBeLessThanOrEqual(0.05);
    expect(binomialSf(80, 100, accuracy(epsilon + 1e-6))).toBeGreaterThan(0.05);
  });

  it('is 0 when chance explains the guesses', () => {
    expect(bound(1000, 500)).toBe(0);
    expect(bound(10, 7)).toBe(0);
    expect(bound(10, 0)).toBe(0);
    expect(bound(1, 1)).toBe(0);
  });

  it('all guesses right: the tail is q^r, so epsilon = logit((1 - confidence)^(1/r))', () => {
    const q = 0.05 ** (1 / 50);
    expect(bound(50, 50)).toBeCloseTo(Math.log(q / (1 - q)), 10);
  });
});

describe('oneRunEpsilonLowerBound, delta > 0', () => {
  it('pays for delta: never above the pure bound, and lower for a larger delta or more canaries', () => {
    const pure = bound(1000, 620);
    const small = oneRunEpsilonLowerBound({
      guesses: 1000,
      correct: 620,
      delta: 1e-5,
      confidence: 0.95,
      canaries: 1000,
    });
    const large = oneRunEpsilonLowerBound({
      guesses: 1000,
      correct: 620,
      delta: 1e-3,
      confidence: 0.95,
      canaries: 1000,
    });
    const many = oneRunEpsilonLowerBound({
      guesses: 1000,
      correct: 620,
      delta: 1e-3,
      confidence: 0.95,
      canaries: 2000,
    });
    expect(small).toBeLessThanOrEqual(pure);
    expect(large).toBeLessThan(small);
    expect(many).toBeLessThan(large);
    expect(oneRunPValue(1000, 620, 1000, large, 1e-3)).toBeLessThanOrEqual(0.05);
  });

  it('the p-value is the binomial tail plus 2 m delta times the best average mass below v', () => {
    // r = 2, v = 2, q = 1/2: tail 1/4; masses below 2 are 1/2 (at 1) and 1/4 (at 0): averages 1/2, 3/8.
    expect(oneRunPValue(2, 2, 10, 0, 0.01)).toBeCloseTo(0.25 + 2 * 10 * 0.01 * 0.5, 14);
  });
});

describe('bad input', () => {
  it('names the parameter and the range', () => {
    expect(() => bound(0, 0)).toThrow(/guesses must be an integer in \[1,/);
    expect(() => bound(10, 11)).toThrow(/correct must be an integer in \[0, 10\]/);
    expect(() => bound(10, 5.5)).toThrow(/correct/);
    expect(() => bound(10, 5, 1)).toThrow(/confidence must be a finite number in \(0, 1\)/);
    expect(() => bound(10, 5, Number.NaN)).toThrow(/confidence/);
    expect(() => oneRunEpsilonLowerBound({ guesses: 10, correct: 5, delta: -1, confidence: 0.9 })).toThrow(
      /delta/,
    );
    expect(() => oneRunEpsilonLowerBound({ guesses: 10, correct: 5, delta: 1e-5, confidence: 0.9 })).toThrow(
      /canaries is required when delta > 0/,
    );
    expect(() =>
      oneRunEpsilonLowerBound({ guesses: 10, correct: 5, delta: 1e-5, confidence: 0.9, canaries: 9 }),
    ).toThrow(/canaries must be an integer in \[10,/);
  });
});
