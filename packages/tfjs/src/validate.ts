/**
 * Argument checks. Every failure names the parameter and the allowed range, so that a bad option never turns
 * into a silent NaN or a hang.
 */

// The integer check is the sampler's (same message).
export { assertInteger } from '@cnm/sampler';

/** Throws a `RangeError` unless `value` is a finite number strictly above `min` (and at most `max`). */
export function assertPositive(name: string, value: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`${name} must be a finite number in (0, ${max}], got ${String(value)}`);
  }
}
