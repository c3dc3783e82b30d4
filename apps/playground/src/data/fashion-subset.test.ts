import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFashionSubset } from './fashion-subset';

const shipped = new Uint8Array(
  readFileSync(new URL('../../public/fashion-mnist-subset.bin', import.meta.url)),
);

describe('parseFashionSubset', () => {
  it('reads the shipped subset: 2000 + 500 images, ten balanced classes, pixels in [0, 1]', () => {
    const data = parseFashionSubset(shipped);
    expect(shipped.length).toBeLessThanOrEqual(2_000_000);
    expect([data.train.count, data.test.count, data.featureCount, data.classCount]).toEqual([
      2000, 500, 784, 10,
    ]);
    for (const [split, perClass] of [
      [data.train, 200],
      [data.test, 50],
    ] as const) {
      const counts = new Array(10).fill(0);
      for (const label of split.labels) counts[label] += 1;
      expect(counts).toEqual(new Array(10).fill(perClass));
      expect(split.features.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    // Real images, not blanks: about half of Fashion-MNIST's pixels are background (0).
    const lit = data.train.features.filter((v) => v > 0).length / data.train.features.length;
    expect(lit).toBeGreaterThan(0.3);
    expect(lit).toBeLessThan(0.7);
  });

  it('refuses a file that is not a subset, or a truncated one', () => {
    expect(() => parseFashionSubset(new Uint8Array(100))).toThrow(/bad magic/);
    expect(() => parseFashionSubset(shipped.subarray(0, shipped.length - 1))).toThrow(
      /expected 1962516 bytes, got 1962515/,
    );
  });
});
