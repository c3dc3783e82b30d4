import { describe, expect, it } from 'vitest';
import { clopperPearsonEpsilonLowerBound } from './clopper-pearson-audit';

const base = {
  falsePositives: 5,
  negatives: 500,
  falseNegatives: 100,
  positives: 500,
  delta: 1e-5,
  confidence: 0.95,
};

describe('clopperPearsonEpsilonLowerBound', () => {
  it('no errors in n runs each way: both rates are at most 1 - (alpha/2)^(1/n)', () => {
    const n = 1000;
    const rate = 1 - 0.025 ** (1 / n);
    const epsilon = clopperPearsonEpsilonLowerBound({
      ...base,
      falsePositives: 0,
      falseNegatives: 0,
      negatives: n,
      positives: n,
      delta: 0,
    });
    expect(epsilon).toBeCloseTo(Math.log((1 - rate) / rate), 10);
  });

  it('a test no better than chance gives 0', () => {
    expect(clopperPearsonEpsilonLowerBound({ ...base, falsePositives: 250, falseNegatives: 250 })).toBe(0);
    expect(clopperPearsonEpsilonLowerBound({ ...base, falsePositives: 500, falseNegatives: 0 })).toBe(0);
  });

  it('is symmetric in the two error kinds and decreases with delta', () => {
    const swapped = { ...base, falsePositives: 100, falseNegatives: 5 };
    expect(clopperPearsonEpsilonLowerBound(swapped)).toBeCloseTo(clopperPearsonEpsilonLowerBound(base), 12);
    expect(clopperPearsonEpsilonLowerBound({ ...base, delta: 0.1 })).toBeLessThan(
      clopperPearsonEpsilonLowerBound(base),
    );
  });

  it('rejects bad counts and ranges by name', () => {
    expect(() => clopperPearsonEpsilonLowerBound({ ...base, negatives: 0 })).toThrow(
      /negatives must be an integer in \[1,/,
    );
    expect(() => clopperPearsonEpsilonLowerBound({ ...base, falsePositives: 501 })).toThrow(
      /falsePositives must be an integer in \[0, 500\]/,
    );
    expect(() => clopperPearsonEpsilonLowerBound({ ...base, falseNegatives: -1 })).toThrow(/falseNegatives/);
    expect(() => clopperPearsonEpsilonLowerBound({ ...base, delta: 1 })).toThrow(
      /delta must be a finite number in \[0, 1\)/,
    );
    expect(() => clopperPearsonEpsilonLowerBound({ ...base, confidence: 0 })).toThrow(/confidence/);
  });
});
