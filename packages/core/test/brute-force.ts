/** Brute-force references for sensitivity tests: every participation pattern, enumerated. */
import fc from 'fast-check';

/** Every participation set of {0..n-1} with at most k elements, any two at least b apart. */
export function allPatterns(n: number, b: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (next: number, chosen: number[]) => {
    if (chosen.length > 0) out.push([...chosen]);
    if (chosen.length === k) return;
    for (let s = next; s < n; s++) {
      chosen.push(s);
      walk(s + b, chosen);
      chosen.pop();
    }
  };
  walk(0, []);
  return out;
}

/** max over patterns and signs of ‖Σ_s ±C e_s‖ (for c ≥ 0 the all-plus signs give the exact sensitivity). */
export function bruteForce(c: ArrayLike<number>, patterns: number[][], signs: boolean): number {
  const n = c.length;
  let best = 0;
  for (const pattern of patterns) {
    const signCount = signs ? 2 ** (pattern.length - 1) : 1;
    for (let mask = 0; mask < signCount; mask++) {
      let total = 0;
      for (let t = 0; t < n; t++) {
        let v = 0;
        pattern.forEach((s, i) => {
          if (t >= s) v += (i > 0 && (mask >> (i - 1)) & 1 ? -1 : 1) * (c[t - s] as number);
        });
        total += v * v;
      }
      best = Math.max(best, total);
    }
  }
  return Math.sqrt(best);
}

export const monotoneCoefficients = fc
  .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 11 })
  .map((xs) => {
    const sorted = [1, ...xs].sort((a, b) => b - a);
    return Float64Array.from(sorted);
  });
