import type { MachineInfo } from '../report/table-report';

/** One audited mode. */
export interface AuditRow {
  /** The mode. */
  readonly mode: string;
  /** Epsilon the run's accounting claims at `delta`. */
  readonly claimedEpsilon: number;
  /** The audit's lower bound at `confidence`. */
  readonly epsilonLowerBound: number;
  /** Guesses made. */
  readonly guesses: number;
  /** Correct guesses. */
  readonly correct: number;
  /** The scoring that gave the bound. */
  readonly scoring: string;
  /** Steps of the audited run. */
  readonly steps: number;
  /** Wall time of the audit, seconds. */
  readonly seconds: number;
}

/** The audit report: settings, machine and one row per mode. */
export interface AuditReport {
  /** The command that produced it. */
  readonly command: string;
  /** Where it ran. */
  readonly machine: MachineInfo;
  /** Real training examples (Fashion-MNIST). */
  readonly trainExamples: number;
  /** Canaries per audit. */
  readonly canaries: number;
  /** Canary kind. */
  readonly canaryKind: string;
  /** Epochs of each audited run. */
  readonly epochs: number;
  /** Batch size (over the real examples and the canary slots). */
  readonly batchSize: number;
  /** Target epsilon of the runs. */
  readonly targetEpsilon: number;
  /** Delta of the claims. */
  readonly delta: number;
  /** Confidence of the bounds. */
  readonly confidence: number;
  /** Trainable parameters of the model. */
  readonly parameters: number;
  /** One row per mode. */
  readonly rows: readonly AuditRow[];
  /** Whether every mode was audited (false while running or after a failure). */
  readonly complete: boolean;
}

/** Whether a row's bound exceeds its claim, i.e. the audit shows the claim wrong. */
export function flagged(row: AuditRow): boolean {
  return row.epsilonLowerBound > row.claimedEpsilon;
}

/** The markdown report: the settings, then claimed epsilon beside the lower bound for every mode. */
export function auditMarkdown(report: AuditReport): string {
  const lines = [
    '# Privacy audit of every mode',
    '',
    `One-run audits (Steinke, Nasr & Jagielski 2023) of the benchmark CNN (${report.parameters.toLocaleString('en-US')} parameters) ` +
      `on ${report.trainExamples.toLocaleString('en-US')} Fashion-MNIST examples with ${report.canaries.toLocaleString('en-US')} ` +
      `${report.canaryKind} canaries: ${report.epochs} epoch(s), batch size ${report.batchSize}, noise calibrated to ` +
      `ε = ${report.targetEpsilon} at δ = ${report.delta}. Lower bounds at ${report.confidence * 100}% confidence: a bound ` +
      'above the claim would show the claim wrong; a bound below it proves nothing (see docs/auditing.md).',
    '',
    '| mode | claimed ε | audited lower bound | right guesses | scoring | steps | time (s) | verdict |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |',
    ...report.rows.map(
      (row) =>
        `| ${row.mode} | ${row.claimedEpsilon.toFixed(3)} | ${row.epsilonLowerBound.toFixed(3)} | ` +
        `${row.correct} / ${row.guesses} | ${row.scoring} | ${row.steps} | ${row.seconds.toFixed(1)} | ` +
        `${flagged(row) ? '**claim refuted**' : 'consistent'} |`,
    ),
    '',
    `Machine: ${report.machine.cpu} (${report.machine.cores} cores), Node ${report.machine.node}, backend ` +
      `${report.machine.backend}, load ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')} at the end.`,
    `Command: \`${report.command}\`${report.complete ? '' : ' (incomplete: stopped before every mode was audited)'}`,
    '',
  ];
  return lines.join('\n');
}
