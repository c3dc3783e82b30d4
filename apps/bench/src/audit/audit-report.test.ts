import { describe, expect, it } from 'vitest';
import { type AuditReport, type AuditRow, auditMarkdown, flagged } from './audit-report';

const row = (mode: string, claimedEpsilon: number, epsilonLowerBound: number): AuditRow => ({
  mode,
  claimedEpsilon,
  epsilonLowerBound,
  guesses: 40,
  correct: 30,
  scoring: 'matched-filter',
  steps: 16,
  seconds: 12.34,
});

const report: AuditReport = {
  command: 'pnpm --filter cnm-bench cli audit',
  machine: {
    cpu: 'Test CPU',
    cores: 2,
    memoryGiB: 4,
    os: 'linux',
    node: '20',
    backend: 'wasm',
    loadAverage: [1, 2, 3],
  },
  trainExamples: 1000,
  canaries: 1000,
  canaryKind: 'gradient',
  epochs: 2,
  batchSize: 250,
  targetEpsilon: 2,
  delta: 1e-5,
  confidence: 0.95,
  parameters: 107146,
  rows: [row('DP-SGD-BASE', 2, 0.4), row('BLT', 2, 2.5)],
  complete: false,
};

describe('audit report', () => {
  it('flags a row exactly when its bound exceeds its claim', () => {
    expect(flagged(row('a', 2, 2))).toBe(false);
    expect(flagged(row('a', 2, 2.0001))).toBe(true);
  });

  it('prints the claimed epsilon beside the lower bound for every mode, and says when incomplete', () => {
    const md = auditMarkdown(report);
    expect(md).toContain(
      '| DP-SGD-BASE | 2.000 | 0.400 | 30 / 40 | matched-filter | 16 | 12.3 | consistent |',
    );
    expect(md).toContain(
      '| BLT | 2.000 | 2.500 | 30 / 40 | matched-filter | 16 | 12.3 | **claim refuted** |',
    );
    expect(md).toContain('107,146 parameters');
    expect(md).toContain('(incomplete');
    expect(auditMarkdown({ ...report, complete: true })).not.toContain('(incomplete');
  });
});
