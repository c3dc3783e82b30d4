/**
 * The PLD accountant against exact two-step epsilons of the Poisson-subsampled Gaussian (both
 * adjacency directions), computed with mpmath from closed-form one-step curves by
 * test/fixtures/generate_reference.py: never below them (pessimism), and close to them.
 */
import { describe, expect, it } from 'vitest';
import {
  composeSampledGaussians,
  DEFAULT_MAX_SUPPORT,
  DEFAULT_PLD_INTERVAL,
  DEFAULT_PLD_TAIL_MASS,
  GaussianEvent,
  PldAccountant,
  PoissonSampledEvent,
} from '../src/index';
import { pldEpsilon } from '../src/pld';
import reference from './fixtures/pld-reference.json';

describe('PLD accountant against exact two-step references', () => {
  it.each(reference.twoSteps)('q=$sampleRate sigma=$noiseMultiplier delta=$delta', (entry) => {
    // The accountant's own composition (both directions), as PldAccountant.getEpsilon builds it.
    const plds = composeSampledGaussians(
      [{ sampleRate: entry.sampleRate, noiseMultiplier: entry.noiseMultiplier, count: entry.steps }],
      DEFAULT_PLD_INTERVAL,
      Math.min(DEFAULT_PLD_TAIL_MASS, entry.delta / 1000),
      DEFAULT_MAX_SUPPORT,
    )!;
    const results: [number, number][] = [
      [pldEpsilon(plds.remove, entry.delta), entry.epsilonRemove],
      [pldEpsilon(plds.add, entry.delta), entry.epsilonAdd],
      [Math.max(pldEpsilon(plds.remove, entry.delta), pldEpsilon(plds.add, entry.delta)), entry.epsilon],
    ];
    for (const [got, exact] of results) {
      expect(got).toBeGreaterThanOrEqual(exact - 1e-9);
      expect(got - exact).toBeLessThan(1e-3 * Math.max(1, exact));
    }
  });

  it('the accountant reports the larger direction', () => {
    const entry = reference.twoSteps[1]!;
    const accountant = new PldAccountant().compose(
      new PoissonSampledEvent(entry.sampleRate, new GaussianEvent(entry.noiseMultiplier)),
      entry.steps,
    );
    expect(accountant.getEpsilon(entry.delta)).toBeGreaterThanOrEqual(entry.epsilon - 1e-9);
    expect(accountant.getEpsilon(entry.delta)).toBeLessThan(entry.epsilon + 1e-3);
  });
});
