/**
 * Argument checks. Every failure names the parameter and the allowed range, so that a bad option never turns
 * into a silent NaN or a hang.
 */

/** Throws a `RangeError` unless `value` is an integer in `[min, max]`. */
export function assertInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws a `RangeError` unless `value` is a finite number strictly above `min` (and at most `max`). */
export function assertPositive(name: string, value: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`${name} must be a finite number in (0, ${max}], got ${String(value)}`);
  }
}
