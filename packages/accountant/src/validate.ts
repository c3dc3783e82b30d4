/**
 * Argument checks shared by the samplers and generators. Every failure names the parameter and the
 * allowed range, so that a bad configuration never turns into a silent NaN or an endless loop.
 */

/** Throws a `RangeError` unless `value` is an integer in `[min, max]`. */
export function assertInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws a `RangeError` unless `value` is a finite number in the interval described by the bounds. */
export function assertInRange(
  name: string,
  value: number,
  range: { min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean },
): void {
  const { min, max, minExclusive = false, maxExclusive = false } = range;
  const aboveMin = minExclusive ? value > min : value >= min;
  const belowMax = maxExclusive ? value < max : value <= max;
  if (typeof value !== 'number' || !Number.isFinite(value) || !aboveMin || !belowMax) {
    const interval = `${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new RangeError(`${name} must be a finite number in ${interval}, got ${String(value)}`);
  }
}
