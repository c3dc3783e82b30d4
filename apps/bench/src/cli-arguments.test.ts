import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  decayInUnitInterval,
  nonNegativeInteger,
  numberList,
  positiveInteger,
  positiveNumber,
} from './cli-arguments';

describe('bench option parsers', () => {
  it('parse valid values', () => {
    expect(numberList('epsilons')('1,2.5,8')).toEqual([1, 2.5, 8]);
    expect(positiveInteger('epochs')('5')).toBe(5);
    expect(positiveNumber('epsilon')('0.5')).toBe(0.5);
    expect(decayInUnitInterval('0')).toBe(0);
    expect(nonNegativeInteger('0')).toBe(0);
  });

  it('refuse out-of-range values with an error naming the option', () => {
    expect(() => numberList('epsilons')('1,0')).toThrow(
      /epsilons must be comma-separated finite numbers > 0/,
    );
    expect(() => positiveInteger('epochs')('2.5')).toThrow(/epochs must be a positive integer, got '2.5'/);
    expect(() => positiveInteger('epochs')('0')).toThrow(InvalidArgumentError);
    expect(() => positiveNumber('epsilon')('Infinity')).toThrow(/epsilon must be a finite number > 0/);
    expect(() => decayInUnitInterval('1')).toThrow(/weight-average-decay must be a number in \[0, 1\)/);
    expect(() => nonNegativeInteger('-1')).toThrow(/seed must be a non-negative integer/);
  });
});
