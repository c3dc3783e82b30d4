import type { RowResult } from '../train/result';

/** The machine a run happened on. */
export interface MachineInfo {
  /** CPU model. */
  readonly cpu: string;
  /** Logical cores. */
  readonly cores: number;
  /** Total memory, GiB. */
  readonly memoryGiB: number;
  /** Operating system and architecture. */
  readonly os: string;
  /** Node.js version. */
  readonly node: string;
  /** The tfjs backend the run used. */
  readonly backend: string;
  /** Load average when the run started (other work on the machine makes timings noisy). */
  readonly loadAverage: readonly number[];
}

/** The file written to `results/<profile>.json`. */
export interface TableReport {
  /** Profile name (`quick`, `full`, or `custom` when epochs were overridden). */
  readonly profile: string;
  /** ISO date and time the run finished. */
  readonly date: string;
  /** Where it ran. */
  readonly machine: MachineInfo;
  /** The command that produced it. */
  readonly command: string;
  /** Epochs per row. */
  readonly epochs: number;
  /** Training examples N. */
  readonly trainExamples: number;
  /** Test examples. */
  readonly testExamples: number;
  /** Seed of the run. */
  readonly seed: number;
  /** The rows, in table order. */
  readonly rows: RowResult[];
}

/** Step-time ratios to the 'Non Private' row of the same run (same backend); rows left unchanged without it. */
export function withStepTimeRatios(rows: readonly RowResult[]): RowResult[] {
  const baseline = rows.find((r) => r.name === 'Non Private' && r.status === 'ok' && r.stepTimeMs != null);
  return rows.map((row) => ({
    ...row,
    stepTimeRatioToNonPrivate:
      baseline != null && row.stepTimeMs != null ? row.stepTimeMs / baseline.stepTimeMs! : null,
  }));
}

function fixed(value: number | null, digits: number): string {
  return value == null ? '–' : value.toFixed(digits);
}

function epsilonCell(row: RowResult): string {
  if (row.status !== 'ok') return '–';
  // JSON has no Infinity: a run without noise (ε = ∞) is stored with noise multiplier 0.
  if (row.mode === 'non-private' || row.noiseMultiplier === 0) return '∞';
  return fixed(row.epsilon, 3);
}

function deltaCell(row: RowResult): string {
  if (row.mode === 'non-private') return '0';
  return row.noiseMultiplier === 0 ? '–' : row.delta.toExponential(3);
}

/** The row's name, with the band count of the amplified banded MF rows. */
function methodCell(row: RowResult): string {
  const bands = (row.strategy as { bandmf?: { bands?: number } } | null)?.bandmf?.bands;
  return bands === undefined ? row.name : `${row.name}, b = ${bands}`;
}

function originalEpsilon(row: RowResult): string {
  return row.original?.epsilon == null ? '∞' : String(row.original.epsilon);
}

/** The markdown table of a report: our numbers beside the original library's, then notes. */
export function reportMarkdown(report: TableReport): string {
  const header = [
    '| Method | ε spent | δ | Accuracy (%) | EMA accuracy (%) | original accuracy (%) | σ | sensitivity | samples/s | step (ms) | step / non-private | peak RSS (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const lines = report.rows.map((row) => {
    const accuracy = row.status === 'ok' ? fixed(row.accuracy, 2) : `not yet run`;
    const averaged = row.status === 'ok' ? fixed(row.averagedAccuracy ?? null, 2) : '–';
    const original =
      row.original == null ? '–' : `${row.original.accuracy.toFixed(2)} (ε ${originalEpsilon(row)})`;
    return `| ${methodCell(row)} | ${epsilonCell(row)} | ${deltaCell(row)} | ${accuracy} | ${averaged} | ${original} | ${fixed(row.noiseMultiplier, 4)} | ${fixed(row.sensitivity, 4)} | ${fixed(
      row.samplesPerSecond,
      0,
    )} | ${fixed(row.stepTimeMs, 0)} | ${fixed(row.stepTimeRatioToNonPrivate, 2)} | ${fixed(row.peakMemoryMiB, 0)} |`;
  });
  const notes = report.rows
    .filter((row) => row.note != null)
    .map((row) => `- **${row.name}** (${row.status}): ${row.note}`);
  const m = report.machine;
  const average = report.rows.find((row) => row.weightAverage != null)?.weightAverage;
  const averageNote =
    average == null
      ? []
      : [
          '',
          `EMA accuracy: the test accuracy of an exponential moving average of the weights (decay ${average.decay}${
            average.warmup ? ', warmed up as min(decay, (1 + n) / (10 + n)) at update n' : ''
          }), updated after every step. It is post-processing of the trained weights: no privacy cost, same ε. '–': not measured.`,
        ];
  return [
    `Profile \`${report.profile}\`: ${report.epochs} epochs, N = ${report.trainExamples} training and ${report.testExamples} test examples, seed ${report.seed}.`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Date: ${report.date}. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB, ${m.os}, Node ${m.node}, tfjs backend \`${m.backend}\`, load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' / ')}.`,
    '',
    ...header,
    ...lines,
    ...averageNote,
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
  ].join('\n');
}

/** Keys every row of a report carries (the schema promised by the README). */
export const REQUIRED_ROW_KEYS = [
  'name',
  'mode',
  'participation',
  'epsilon',
  'delta',
  'accuracy',
  'noiseMultiplier',
  'samplesPerSecond',
  'stepTimeRatioToNonPrivate',
] as const;

/** Keys every report carries at the top level. */
export const REQUIRED_REPORT_KEYS = ['profile', 'date', 'machine', 'command', 'rows'] as const;
