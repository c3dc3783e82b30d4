import { describe, expect, it } from 'vitest';
import { SWEEP_ROWS } from './sweep-command';
import { type SweepEntry, type SweepReport, spread, sweepMarkdown, sweepSpec } from './sweep-report';

function entry(
  name: string,
  targetEpsilon: number,
  seed: number,
  accuracy: number,
  extra: Partial<SweepEntry> = {},
): SweepEntry {
  return {
    name,
    mode: name,
    targetEpsilon,
    epsilon: targetEpsilon * 0.999,
    seed,
    accuracy,
    averagedAccuracy: accuracy + 1,
    learningRate: 1,
    learningRateChoice: 'default',
    epochs: 2,
    ...extra,
  };
}

describe('sweep report', () => {
  it('has the six rows of the sweep', () => {
    expect(SWEEP_ROWS.map((r) => r.name)).toEqual([
      'DP-SGD',
      'Multi-Epoch-BLT',
      'Amplified-BandMF',
      'DP-Adam',
      'Multi-Epoch-BLT-Adam',
      'Amplified-BandMF-Adam',
    ]);
  });

  it('summarises the seeds as mean ± sample sd (min–max)', () => {
    expect(spread([70, 72, 74])).toEqual({ mean: 72, sd: 2, min: 70, max: 74, count: 3 });
    expect(spread([null])).toBeNull();
    const report: SweepReport = {
      date: 'd',
      command: 'c',
      machine: {},
      epochs: 2,
      trainExamples: 100,
      testExamples: 10,
      validationExamples: 20,
      batchSize: 10,
      seeds: [0, 1, 2],
      epsilons: [1, 8],
      learningRateChoices: [
        {
          name: 'DP-SGD',
          tried: [
            { learningRate: 1, validationAccuracy: 50 },
            { learningRate: 0.5, validationAccuracy: 60 },
          ],
          chosen: 0.5,
        },
      ],
      rows: [
        ...[0, 1, 2].flatMap((seed) => [
          entry('DP-SGD', 1, seed, 60 + seed),
          entry('DP-SGD', 8, seed, 70 + 2 * seed),
        ]),
        entry('Amplified-BandMF', 8, 0, 75, { bands: 12 }),
        entry('DP-SGD', 8, 0, 80, { learningRate: 0.5, learningRateChoice: 'validation' }),
      ],
    };
    const markdown = sweepMarkdown(report);
    expect(markdown).toContain('| DP-SGD | 1 | 61.00 ± 1.00 (60.00–62.00) | 72.00 ± 2.00 (70.00–74.00) |');
    expect(markdown).toContain('| Amplified-BandMF [b 8: 12] | 1 | – | 75.00 |');
    expect(markdown).toContain('| DP-SGD (lr chosen on validation) | 0.5 | – | 80.00 |');
    expect(markdown).toContain('lr 0.5 → 60.00%; chosen 0.5');
    expect(markdown).toContain('2 epoch(s)');
    const spec = sweepSpec(report) as { data: { values: unknown[] } };
    // The plot shows the default learning rate only: 6 DP-SGD runs and 1 BandMF run.
    expect(spec.data.values.length).toBe(7);
  });
});
