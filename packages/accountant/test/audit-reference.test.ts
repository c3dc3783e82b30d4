/**
 * The audit bounds against scipy reference values from scripts/generate_audit_reference.py, which
 * bisects on scipy's binomial tail and point masses (no beta quantile, no mass recurrence). A lower
 * bound must never exceed the reference (that would be a false alarm), and must be close to it.
 */
import { describe, expect, it } from 'vitest';
import { clopperPearsonEpsilonLowerBound, oneRunEpsilonLowerBound } from '../src/index';
import reference from './fixtures/audit-reference.json';

describe('one-run audit against scipy', () => {
  it.each(reference.oneRun)(
    'r=$guesses v=$correct m=$canaries delta=$delta confidence=$confidence',
    (entry) => {
      const epsilon = oneRunEpsilonLowerBound(entry);
      expect(epsilon).toBeLessThanOrEqual(entry.epsilon + 1e-9);
      expect(Math.abs(epsilon - entry.epsilon)).toBeLessThan(1e-8 * Math.max(1, entry.epsilon));
    },
  );
});

describe('multi-run Clopper-Pearson audit against scipy', () => {
  it.each(reference.multiRun)(
    'FP=$falsePositives/$negatives FN=$falseNegatives/$positives delta=$delta',
    (entry) => {
      const epsilon = clopperPearsonEpsilonLowerBound(entry);
      expect(Math.abs(epsilon - entry.epsilon)).toBeLessThan(1e-9 * Math.max(1, entry.epsilon));
    },
  );
});
