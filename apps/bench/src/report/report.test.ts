import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FashionMnist } from '../data/fashion-mnist';
import { createMlp } from '../models/classifiers';
import { ROWS, selectRows } from '../rows';
import { notRunResult, runTable } from '../table';
import { privateRowRunner } from '../train/private';
import type { RowResult } from '../train/result';
import {
  REQUIRED_REPORT_KEYS,
  REQUIRED_ROW_KEYS,
  reportMarkdown,
  type TableReport,
  withStepTimeRatios,
} from './table-report';
import { writeReport } from './write';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Tiny synthetic "Fashion-MNIST": the label is written into the image as a bright row, so it is learnable. */
function syntheticData(train: number, test: number): FashionMnist {
  const split = (count: number, offset: number) => {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i += 1) {
      const label = (i + offset) % 10;
      labels[i] = label;
      images.fill(255, i * 784 + label * 2 * 28, i * 784 + (label * 2 + 1) * 28);
    }
    return { count, images, labels };
  };
  return { train: split(train, 0), test: split(test, 3), directory: 'synthetic' };
}

describe('report of a tiny synthetic run', () => {
  it('writes JSON with the schema fields, a markdown table and SVG/PNG plots', async () => {
    const rows = await runTable({
      // one correlated-noise row and DP-SGD through the engine, the two non-private rows directly
      rows: selectRows(['blt-multi-epoch', 'dp-sgd', 'non-private', 'non-private-adam']),
      data: syntheticData(64, 20),
      epochs: 2,
      batchSize: 16,
      seed: 1,
      createModel: (seed) => createMlp({ seed }),
      privateRunner: privateRowRunner,
    });
    const report: TableReport = {
      profile: 'test',
      date: new Date().toISOString(),
      machine: {
        cpu: 'test',
        cores: 2,
        memoryGiB: 4,
        os: 'test',
        node: '20',
        backend: 'cpu',
        loadAverage: [0, 0, 0],
      },
      command: 'vitest',
      epochs: 2,
      trainExamples: 64,
      testExamples: 20,
      seed: 1,
      rows: withStepTimeRatios(rows),
    };
    const dir = mkdtempSync(join(tmpdir(), 'cnm-report-'));
    const written = await writeReport(report, dir);

    const json = JSON.parse(readFileSync(written.json, 'utf8')) as TableReport;
    for (const key of REQUIRED_REPORT_KEYS) expect(json).toHaveProperty(key);
    expect(json.rows.map((r) => r.name)).toEqual([
      'BLT (Multi Epoch)',
      'DP-SGD',
      'Non Private',
      'Non Private (Adam)',
    ]);
    for (const row of json.rows) for (const key of REQUIRED_ROW_KEYS) expect(row).toHaveProperty(key);
    const nonPrivate = json.rows.find((r) => r.name === 'Non Private')!;
    expect(nonPrivate.status).toBe('ok');
    expect(nonPrivate.steps).toBe(8);
    expect(nonPrivate.accuracyPerEpoch).toHaveLength(2);
    // the weight average is evaluated after every epoch beside the last iterate
    expect(nonPrivate.averagedAccuracyPerEpoch).toHaveLength(2);
    expect(nonPrivate.averagedAccuracy).toBe(nonPrivate.averagedAccuracyPerEpoch?.[1]);
    expect(nonPrivate.weightAverage).toEqual({ decay: 0.999, warmup: true });
    expect(nonPrivate.accuracy).toBeGreaterThanOrEqual(0);
    expect(nonPrivate.accuracy).toBeLessThanOrEqual(100);
    expect(nonPrivate.stepTimeRatioToNonPrivate).toBe(1);
    expect(nonPrivate.delta).toBe(0);
    expect(nonPrivate.epsilon).toBeNull();
    expect(nonPrivate.samplesPerSecond).toBeGreaterThan(0);
    const adam = json.rows.find((r) => r.name === 'Non Private (Adam)')!;
    expect(adam.stepTimeRatioToNonPrivate).toBeCloseTo(adam.stepTimeMs! / nonPrivate.stepTimeMs!, 12);
    for (const row of json.rows.filter((r) => r.mode !== 'non-private')) {
      expect(row.status, `${row.name}: ${row.note}`).toBe('ok');
      expect(row.delta).toBeCloseTo(64 ** -1.1, 15);
      // the engine's accountant: spent epsilon at most the target, and not far below it (calibrated)
      expect(row.epsilon!).toBeLessThanOrEqual(8 * (1 + 1e-6));
      expect(row.epsilon!).toBeGreaterThan(7);
      expect(row.noiseMultiplier!).toBeGreaterThan(0);
      expect(row.sensitivity!).toBeGreaterThanOrEqual(1);
      expect(row.accuracyPerEpoch).toHaveLength(2);
      expect(row.averagedAccuracyPerEpoch).toHaveLength(2);
      expect(row.stepTimeRatioToNonPrivate).toBeGreaterThan(0);
    }
    const blt = json.rows.find((r) => r.name === 'BLT (Multi Epoch)')!;
    expect(blt.strategy).toMatchObject({ participation: expect.any(String) });
    expect((blt.strategy as { blt?: { bufferCount: number } }).blt?.bufferCount).toBeGreaterThanOrEqual(1);

    const markdown = readFileSync(written.markdown, 'utf8');
    expect(markdown).toContain('| Method | ε spent | δ | Accuracy (%)');
    expect(markdown).toMatch(
      /\| DP-SGD \| [78]\.\d{3} \| 1\.03\de-2 \| \d+\.\d\d \| \d+\.\d\d \| 82\.01 \(ε 8\)/,
    );
    expect(markdown).toMatch(/\| Non Private \| ∞ \| 0 \| \d+\.\d\d \| \d+\.\d\d \| 87\.86 \(ε ∞\)/);
    expect(markdown).toContain(
      'EMA accuracy: the test accuracy of an exponential moving average of the weights (decay 0.999',
    );
    expect(markdown).toContain('Command: `vitest`');

    expect(written.plots).toHaveLength(4);
    for (const plot of written.plots) {
      const bytes = readFileSync(plot);
      if (plot.endsWith('.svg')) {
        const svg = bytes.toString('utf8');
        expect(svg.startsWith('<svg')).toBe(true);
        expect(svg).toContain('<path');
      } else {
        expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      }
    }
    const accuracySvg = readFileSync(written.plots[0]!, 'utf8');
    expect(accuracySvg).toContain('Non Private (Adam)');
    expect(accuracySvg).toContain('dashed: exponential moving average of the weights');
  }, 120_000);

  it('trains the no-noise control with noise multiplier 0 and shows its ε as ∞', async () => {
    const [row] = await runTable({
      rows: selectRows(['dp-sgd-no-noise']),
      data: syntheticData(64, 20),
      epochs: 1,
      batchSize: 16,
      seed: 2,
      createModel: (seed) => createMlp({ seed }),
      privateRunner: privateRowRunner,
    });
    expect(row).toMatchObject({
      status: 'ok',
      noiseMultiplier: 0,
      targetEpsilon: null,
      epsilon: Number.POSITIVE_INFINITY,
    });
    expect(row!.note).toContain('not calibrated to ε');
    expect(reportMarkdown({ ...baseReport(), rows: [row!] })).toMatch(/\| DP-SGD \(no noise\) \| ∞ \| – \|/);
  }, 60_000);

  it('marks rows that did not train as not yet run', () => {
    const row = notRunResult(ROWS[2]!, 2, 16, 0.01, 'engine missing');
    expect(row).toMatchObject({ status: 'not-run', accuracy: null, epsilon: null, note: 'engine missing' });
    expect(reportMarkdown({ ...baseReport(), rows: [row] })).toMatch(
      /\| DP-SGD \| – \| 1\.000e-2 \| not yet run \|/,
    );
  });

  it('leaves the step-time ratio empty without a non-private baseline', () => {
    const row = { name: 'DP-SGD', status: 'ok', stepTimeMs: 5 } as unknown as RowResult;
    expect(withStepTimeRatios([row])[0]!.stepTimeRatioToNonPrivate).toBeNull();
    expect(reportMarkdown({ ...baseReport(), rows: [] })).toContain('Profile `x`');
  });
});

function baseReport(): TableReport {
  return {
    profile: 'x',
    date: 'd',
    machine: { cpu: 'c', cores: 1, memoryGiB: 1, os: 'o', node: 'n', backend: 'b', loadAverage: [1] },
    command: 'c',
    epochs: 1,
    trainExamples: 2,
    testExamples: 1,
    seed: 0,
    rows: [],
  };
}
