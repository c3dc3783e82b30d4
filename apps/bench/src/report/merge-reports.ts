import { ROWS } from '../rows';
import type { RowResult } from '../train/result';
import { type TableReport, withStepTimeRatios } from './table-report';

/**
 * Merges the reports of several `table` runs of one profile into one table, in the original table's order.
 * A long profile can then run its rows in parallel processes (one per core) and still give one table.
 *
 * The runs must agree on profile, epochs, training examples and seed; a row trained (`status: 'ok'`) in one
 * report wins over the same row not run in another, and a row trained in two reports is refused (ambiguous).
 * Step-time ratios are recomputed against the merged 'Non Private' row; `command` lists every run's command and
 * `date` is the latest run's.
 */
export function mergeReports(reports: readonly TableReport[]): TableReport {
  const first = reports[0];
  if (first === undefined) throw new RangeError('reports must hold at least one report, got none');
  for (const [index, report] of reports.entries()) {
    for (const key of ['profile', 'epochs', 'trainExamples', 'testExamples', 'seed'] as const) {
      if (report[key] !== first[key]) {
        throw new RangeError(
          `reports[${index}].${key} is ${String(report[key])} but reports[0].${key} is ${String(first[key])}: only runs of one setup can be merged`,
        );
      }
    }
  }
  const rows: RowResult[] = [];
  for (const row of ROWS) {
    const candidates = reports.flatMap((report) => report.rows.filter((r) => r.name === row.name));
    const trained = candidates.filter((r) => r.status === 'ok');
    if (trained.length > 1) {
      throw new RangeError(`row '${row.name}' was trained in ${trained.length} of the reports: keep one`);
    }
    const chosen = trained[0] ?? candidates[0];
    if (chosen !== undefined) rows.push(chosen);
  }
  const latest = reports.reduce((a, b) => (Date.parse(b.date) > Date.parse(a.date) ? b : a));
  return {
    ...first,
    date: latest.date,
    command: reports.map((r) => r.command).join(' & '),
    rows: withStepTimeRatios(rows),
  };
}
