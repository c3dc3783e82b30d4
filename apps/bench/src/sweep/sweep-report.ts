/**
 * The privacy-utility sweep's results: one entry per (row, ε, seed, learning rate), the summary (mean and spread
 * over the seeds) as a markdown table, and the plot of accuracy against ε.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One trained run of the sweep. */
export interface SweepEntry {
  /** Row name (DP-SGD, Multi-Epoch-BLT, Amplified-BandMF and their Adam counterparts). */
  readonly name: string;
  /** Engine mode. */
  readonly mode: string;
  /** ε the noise was calibrated to. */
  readonly targetEpsilon: number;
  /** ε the accountant reports after the run. */
  readonly epsilon: number | null;
  /** Seed of initialisation, sampling and noise. */
  readonly seed: number;
  /** Test accuracy of the last iterate (%). */
  readonly accuracy: number | null;
  /** Test accuracy of the weight average (%). */
  readonly averagedAccuracy: number | null;
  /** Band count of the amplified banded MF rows. */
  readonly bands?: number;
  /** Learning rate of the run. */
  readonly learningRate: number;
  /** `'default'` (the row's learning rate) or `'validation'` (chosen at ε = 8 on the validation split). */
  readonly learningRateChoice: 'default' | 'validation';
  /** Epochs trained. */
  readonly epochs: number;
}

/** The learning-rate choice of one row at ε = 8, on a validation split of the training data. */
export interface LearningRateChoice {
  /** Row name. */
  readonly name: string;
  /** Accuracy on the validation split (last iterate, %) for each learning rate tried. */
  readonly tried: readonly { readonly learningRate: number; readonly validationAccuracy: number | null }[];
  /** The learning rate with the best validation accuracy. */
  readonly chosen: number;
}

/** The whole sweep, as written to `sweep.json`. */
export interface SweepReport {
  readonly date: string;
  readonly command: string;
  readonly machine: Record<string, unknown>;
  /** Epochs of every run. */
  readonly epochs: number;
  /** Training examples (N, also in δ = N^-1.1) and test examples. */
  readonly trainExamples: number;
  readonly testExamples: number;
  /** Examples held out from the training data to choose the learning rate. */
  readonly validationExamples: number;
  readonly batchSize: number;
  readonly seeds: number[];
  readonly epsilons: number[];
  readonly learningRateChoices: LearningRateChoice[];
  readonly rows: SweepEntry[];
}

/** Mean, sample standard deviation, minimum and maximum of the finite values, or null when there is none. */
export function spread(values: readonly (number | null)[]): {
  mean: number;
  sd: number;
  min: number;
  max: number;
  count: number;
} | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return null;
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance =
    finite.length < 2 ? 0 : finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1);
  return {
    mean,
    sd: Math.sqrt(variance),
    min: Math.min(...finite),
    max: Math.max(...finite),
    count: finite.length,
  };
}

function cell(values: readonly (number | null)[]): string {
  const s = spread(values);
  if (s === null) return '–';
  return s.count === 1
    ? s.mean.toFixed(2)
    : `${s.mean.toFixed(2)} ± ${s.sd.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

/** Groups entries by row name and choice, keeping the rows' first-seen order. */
function groups(report: SweepReport): { name: string; choice: SweepEntry['learningRateChoice'] }[] {
  const seen = new Map<string, { name: string; choice: SweepEntry['learningRateChoice'] }>();
  for (const row of report.rows) {
    const key = `${row.name} ${row.learningRateChoice}`;
    if (!seen.has(key)) seen.set(key, { name: row.name, choice: row.learningRateChoice });
  }
  return [...seen.values()];
}

/** The markdown summary: mean ± sd (min–max) over the seeds, last iterate and weight average, per ε. */
export function sweepMarkdown(report: SweepReport): string {
  const header = `| Row | lr | ${report.epsilons.map((e) => `ε = ${e}`).join(' | ')} |`;
  const rule = `|---|---:|${report.epsilons.map(() => '---:').join('|')}|`;
  const table = (field: 'accuracy' | 'averagedAccuracy') =>
    groups(report).map(({ name, choice }) => {
      const entries = report.rows.filter((r) => r.name === name && r.learningRateChoice === choice);
      const rate = entries[0]?.learningRate ?? Number.NaN;
      const cells = report.epsilons.map((epsilon) =>
        cell(entries.filter((r) => r.targetEpsilon === epsilon).map((r) => r[field])),
      );
      const bands = entries.filter((r) => r.bands !== undefined).map((r) => `${r.targetEpsilon}: ${r.bands}`);
      const label = `${name}${choice === 'validation' ? ' (lr chosen on validation)' : ''}`;
      return `| ${label}${bands.length > 0 ? ` [b ${[...new Set(bands)].join(', ')}]` : ''} | ${rate} | ${cells.join(' | ')} |`;
    });
  const choices = report.learningRateChoices.map(
    (c) =>
      `- ${c.name}: ${c.tried.map((t) => `lr ${t.learningRate} → ${t.validationAccuracy?.toFixed(2) ?? '–'}%`).join(', ')}; chosen ${c.chosen}`,
  );
  return [
    `Privacy-utility sweep: ${report.epochs} epoch(s), N = ${report.trainExamples} training and ${report.testExamples} test examples, batch ${report.batchSize}, δ = N^-1.1, seeds ${report.seeds.join(', ')}.`,
    '',
    `Command: \`${report.command}\`. Date: ${report.date}.`,
    '',
    'Test accuracy (%) of the last iterate: mean ± sample sd (min–max) over the seeds. [b ε: bands] is the band count chosen for each ε.',
    '',
    header,
    rule,
    ...table('accuracy'),
    '',
    'Test accuracy (%) of the weight average:',
    '',
    header,
    rule,
    ...table('averagedAccuracy'),
    '',
    `Learning rates at ε = 8, chosen on ${report.validationExamples} examples held out from the training data (never the test set):`,
    '',
    ...choices,
    '',
  ].join('\n');
}

/** Vega-Lite spec: mean last-iterate accuracy against ε (log scale), one line per row, seeds as points. */
export function sweepSpec(report: SweepReport): TopLevelSpec {
  const values = report.rows
    .filter((r) => r.learningRateChoice === 'default' && r.accuracy !== null)
    .map((r) => ({ row: r.name, epsilon: r.targetEpsilon, accuracy: r.accuracy, seed: r.seed }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Accuracy against ε (${report.epochs} epoch(s), ${report.seeds.length} seed(s), mean and seeds)`,
    width: 560,
    height: 360,
    data: { values },
    encoding: {
      x: { field: 'epsilon', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'ε' },
      color: { field: 'row', type: 'nominal', title: 'row' },
    },
    layer: [
      {
        mark: { type: 'point', opacity: 0.4 },
        encoding: {
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: { y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
