import { describe, expect, it } from 'vitest';
import { assertInRange, assertInteger } from './validate';

describe('assertInteger', () => {
  it('accepts integers in range', () => {
    expect(() => assertInteger('datasetSize', 5, 1)).not.toThrow();
  });
  it.each([0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %s with the parameter name and range',
    (v) => {
      expect(() => assertInteger('datasetSize', v, 1)).toThrow(/datasetSize must be an integer in \[1, /);
    },
  );
});

describe('assertInRange', () => {
  it('honours open and closed ends', () => {
    const range = { min: 0, max: 1, minExclusive: true };
    expect(() => assertInRange('sampleRate', 1, range)).not.toThrow();
    expect(() => assertInRange('sampleRate', 0, range)).toThrow(
      /sampleRate must be a finite number in \(0, 1\]/,
    );
    expect(() => assertInRange('sampleRate', Number.NaN, range)).toThrow(/sampleRate/);
  });
});
