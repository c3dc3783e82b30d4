/**
 * Argument checks of @cnm/tfjs, in one message style shared with the other @cnm packages: every failure names the
 * parameter and the allowed values (`x must be an integer in [1, 16], got 0`, `x must be a finite number in (0,
 * 1), got NaN`, `x must be one of 'a', 'b', got "c"`), so that a bad option never turns into a silent NaN or a hang.
 */
import { assertInRange } from '@cnm/sampler';

// The integer and interval checks are the sampler's (same messages).
export { assertInRange, assertInteger } from '@cnm/sampler';

/** Throws a `RangeError` unless `value` is a finite number strictly above 0 (and at most `max`). */
export function assertPositive(name: string, value: number, max = Number.POSITIVE_INFINITY): void {
  assertInRange(name, value, { min: 0, max, minExclusive: true });
}

/** Throws a `RangeError` unless `value` is one of `allowed` (strings, listed quoted in the message). */
export function assertOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new RangeError(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
}

/** Throws a `TypeError` unless `value` is a boolean. */
export function assertBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(value)}`);
}
