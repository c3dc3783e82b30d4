/**
 * Argument checks shared by the package. Every failure names the parameter and the allowed range, so that
 * a bad configuration never turns into a silent NaN, an Infinity or an endless loop.
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

/** Throws a `TypeError` unless `value` is a typed or plain array of finite numbers (non-empty when asked). */
export function assertFiniteArray(
  name: string,
  value: ArrayLike<number>,
  options: { minLength?: number } = {},
): void {
  if (value === null || typeof value !== 'object' || typeof value.length !== 'number') {
    throw new TypeError(`${name} must be an array of finite numbers`);
  }
  const minLength = options.minLength ?? 0;
  if (value.length < minLength) {
    throw new RangeError(`${name} must have at least ${minLength} entries, got ${value.length}`);
  }
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${name}[${i}] must be a finite number, got ${String(v)}`);
    }
  }
}

/** Throws a `RangeError` unless a vector handed to a stream has the stream's length. */
export function assertLength(name: string, value: ArrayLike<number>, length: number): void {
  if (value === null || typeof value !== 'object' || value.length !== length) {
    throw new RangeError(`${name} must have length ${length}, got ${String(value?.length)}`);
  }
}
