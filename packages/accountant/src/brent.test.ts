import { describe, expect, it } from 'vitest';
import { brentRoot } from './brent';

describe('brentRoot', () => {
  it('brackets the root of a smooth function within the tolerance', () => {
    const bracket = brentRoot((x) => x * x * x - 2, 0, 2, { absoluteTolerance: 1e-14, relativeTolerance: 0 });
    expect(bracket.low).toBeLessThanOrEqual(Math.cbrt(2));
    expect(bracket.high).toBeGreaterThanOrEqual(Math.cbrt(2));
    expect(bracket.high - bracket.low).toBeLessThan(1e-13);
    expect(bracket.fLow * bracket.fHigh).toBeLessThanOrEqual(0);
    expect(bracket.evaluations).toBeLessThan(20);
  });
  it('handles a step-like function by bisection', () => {
    const bracket = brentRoot((x) => (x < 0.3 ? -1 : 1), 0, 1, { absoluteTolerance: 1e-10 });
    expect(bracket.low).toBeLessThan(0.3);
    expect(bracket.high).toBeGreaterThanOrEqual(0.3);
    expect(bracket.high - bracket.low).toBeLessThan(1e-9);
  });
  it('refuses an interval without a sign change', () => {
    expect(() => brentRoot((x) => x * x + 1, -1, 1)).toThrow(/change sign/);
  });
});
