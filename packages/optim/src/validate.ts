/**
 * Argument checks shared by the optimizers and the noise state. Every failure names the parameter and
 * the allowed range, so that a bad configuration never turns into a silent NaN or a diverging run.
 */

import { assertInRange } from '@cnm/sampler';

// The integer and interval checks are the sampler's (same messages); the shorthands below build on them.
export { assertInRange, assertInteger } from '@cnm/sampler';

/** Throws a `RangeError` unless `value` is a finite number `>= 0`. */
export function assertNonNegative(name: string, value: number): void {
  assertInRange(name, value, { min: 0, max: Number.POSITIVE_INFINITY, maxExclusive: true });
}

/** Throws a `RangeError` unless `value` is a finite number `> 0`. */
export function assertPositive(name: string, value: number): void {
  assertInRange(name, value, {
    min: 0,
    max: Number.POSITIVE_INFINITY,
    minExclusive: true,
    maxExclusive: true,
  });
}
