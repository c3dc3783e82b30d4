import { describe, expect, it } from 'vitest';
import { formatJson, formatTable } from './output';

describe('output', () => {
  it('JSON keeps non-finite numbers visible and arrays as arrays', () => {
    expect(
      JSON.parse(formatJson({ epsilon: Number.POSITIVE_INFINITY, decays: [0.5, 0.25], name: 'x' })),
    ).toEqual({
      epsilon: 'Infinity',
      decays: [0.5, 0.25],
      name: 'x',
    });
  });

  it('the table aligns the values and joins arrays', () => {
    expect(formatTable({ epsilon: 1.5, outputScales: [0.1, 0.2] })).toBe(
      'epsilon       1.5\noutputScales  0.1, 0.2',
    );
  });
});
