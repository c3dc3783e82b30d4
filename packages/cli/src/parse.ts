/**
 * Option value parsers. They only turn text into numbers; ranges are checked by the library functions
 * the commands call, so that a bad value gets the same message on the command line as in code.
 */
import { InvalidArgumentError } from 'commander';

/** Parses a number (`1e-5`, `0.5`, `3`); anything that is not one is a usage error. */
export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || Number.isNaN(number)) throw new InvalidArgumentError(`not a number: '${value}'`);
  return number;
}

/** Parses a comma-separated list of numbers (`0.9,0.5`). */
export function parseNumberList(value: string): number[] {
  return value.split(',').map((part) => parseNumber(part.trim()));
}

/** Parses a buffer count: a number or `auto`. */
export function parseBufferCount(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : parseNumber(value);
}
