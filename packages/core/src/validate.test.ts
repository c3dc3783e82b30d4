import { describe, expect, it } from 'vitest';
import { assertFiniteArray, assertInRange, assertInteger } from './validate';

describe('assertInteger', () => {
  it('accepts integers in range', () => {
    expect(() => assertInteger('steps', 5, 1)).not.toThrow();
  });
  it.each([0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %s with the parameter name and range',
    (v) => {
      expect(() => assertInteger('steps', v, 1)).toThrow(/steps must be an integer in \[1, /);
    },
  );
});

describe('assertInRange', () => {
  it('honours open and closed ends', () => {
    const range = { min: 0, max: 1, minExclusive: true };
    expect(() => assertInRange('gamma', 1, range)).not.toThrow();
    expect(() => assertInRange('gamma', 0, range)).toThrow(/gamma must be a finite number in \(0, 1\]/);
    expect(() => assertInRange('gamma', Number.NaN, range)).toThrow(/gamma/);
  });
});

describe('assertFiniteArray', () => {
  it('names the offending entry', () => {
    expect(() => assertFiniteArray('decays', [0.5, Number.NaN])).toThrow(
      /decays\[1\] must be a finite number/,
    );
    expect(() => assertFiniteArray('decays', [], { minLength: 1 })).toThrow(
      /decays must have at least 1 entries/,
    );
  });
});
