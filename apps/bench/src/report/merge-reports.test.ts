import { describe, expect, it } from 'vitest';
import { ROWS } from '../rows';
import { notRunResult } from '../table';
import type { RowResult } from '../train/result';
import { mergeReports } from './merge-reports';
import type { TableReport } from './table-report';

const DELTA = 60000 ** -1.1;

function trained(id: string, stepTimeMs: number, accuracy: number): RowResult {
  const row = ROWS.find((r) => r.id === id)!;
  return {
    ...notRunResult(row, 50, 1024, DELTA, ''),
    status: 'ok',
    accuracy,
    accuracyPerEpoch: [accuracy],
    stepTimeMs,
    samplesPerSecond: 1024 / (stepTimeMs / 1000),
  };
}

function report(rows: RowResult[], date: string, command: string, seed = 0): TableReport {
  return {
    profile: 'full',
    date,
    machine: {
      cpu: 'x',
      cores: 2,
      memoryGiB: 24,
      os: 'linux',
      node: 'v20',
      backend: 'wasm',
      loadAverage: [2],
    },
    command,
    epochs: 50,
    trainExamples: 60000,
    testExamples: 10000,
    seed,
    rows,
  };
}

describe('mergeReports', () => {
  it('puts the rows of parallel runs in table order and recomputes the ratios against the merged baseline', () => {
    const a = report(
      [trained('dp-sgd', 600, 84), trained('blt-multi-epoch', 550, 85)],
      '2026-11-23T17:00:00Z',
      'a',
    );
    const b = report([trained('non-private', 500, 90)], '2026-11-23T17:30:00Z', 'b');
    const merged = mergeReports([a, b]);
    expect(merged.rows.map((r) => r.id)).toEqual(['blt-multi-epoch', 'dp-sgd', 'non-private']);
    expect(merged.rows.map((r) => r.stepTimeRatioToNonPrivate)).toEqual([1.1, 1.2, 1]);
    expect(merged.date).toBe('2026-11-23T17:30:00Z');
    expect(merged.command).toBe('a & b');
  });

  it('prefers a trained row to the same row not reached in another run', () => {
    const row = ROWS.find((r) => r.id === 'dp-sgd')!;
    const pending = report(
      [notRunResult(row, 50, 1024, DELTA, 'not reached yet in this run')],
      '2026-11-23T16:00:00Z',
      'a',
    );
    const done = report([trained('dp-sgd', 600, 84)], '2026-11-23T15:00:00Z', 'b');
    expect(mergeReports([pending, done]).rows).toEqual([
      expect.objectContaining({ id: 'dp-sgd', status: 'ok' }),
    ]);
  });

  it('refuses runs of different setups, a row trained twice, and no reports', () => {
    const a = report([trained('dp-sgd', 600, 84)], '2026-11-23T15:00:00Z', 'a');
    expect(() => mergeReports([a, report([], '2026-11-23T15:00:00Z', 'b', 1)])).toThrow(/seed/);
    expect(() => mergeReports([a, a])).toThrow(/'DP-SGD' was trained in 2/);
    expect(() => mergeReports([])).toThrow(/at least one report/);
  });
});
