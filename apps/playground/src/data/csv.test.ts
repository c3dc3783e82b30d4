import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => `${i % 3},${i / 10},${1 - i / 10}`).join('\n');
/** A generator of the split that is reproducible: 0, 0.5, 0.25, … */
const fixedRandom = () => {
  let k = 0;
  return () => {
    k += 1;
    return (k * 0.618033988749895) % 1;
  };
};

describe('parseCsv', () => {
  it('reads label and features, skips a header, and holds out a fifth of the rows', () => {
    const data = parseCsv(`label,a,b\n${rows(10)}\n\n`, 'mine.csv', { random: fixedRandom() });
    expect(data.featureCount).toBe(2);
    expect(data.classCount).toBe(3);
    expect(data.train.count).toBe(8);
    expect(data.test.count).toBe(2);
    expect(data.name).toBe('mine.csv (8 training, 2 test rows, 2 features)');
    // Every row lands in exactly one split, with its features next to its label.
    const seen = [data.train, data.test].flatMap((split) =>
      Array.from(split.labels, (label, i) => [label, split.features[2 * i]!, split.features[2 * i + 1]!]),
    );
    const expected = Array.from({ length: 10 }, (_, i) => [
      i % 3,
      Math.fround(i / 10),
      Math.fround(1 - i / 10),
    ]);
    expect(seen.sort((a, b) => a[1]! - b[1]!)).toEqual(expected);
  });

  it('names the line and the rule of bad input', () => {
    expect(() => parseCsv(rows(5), 'x')).toThrow(/at least 10 data rows, got 5/);
    expect(() => parseCsv(`${rows(10)}\n1,2`, 'x')).toThrow(/CSV line 11: expected 3 columns, got 2/);
    expect(() => parseCsv(`${rows(10)}\n1.5,2,3`, 'x')).toThrow(/CSV line 11: the label must be an integer/);
    expect(() => parseCsv(`${rows(10)}\n-1,2,3`, 'x')).toThrow(/label must be an integer in \[0, 100\)/);
    expect(() => parseCsv(`${rows(10)}\n1,2,abc`, 'x')).toThrow(
      /line 11, column 3: expected a finite number/,
    );
    expect(() => parseCsv(`${rows(10)}\n1,2,Infinity`, 'x')).toThrow(/line 11, column 3/);
    expect(() => parseCsv(Array(12).fill('1,2,3').join('\n'), 'x')).toThrow(/at least two different labels/);
    expect(() => parseCsv(rows(10), 'x', { testFraction: 0.9 })).toThrow(
      /testFraction must be in \(0, 0.5\]/,
    );
  });
});
