import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unetUtilityCommand } from './unet-utility';

const tiny = {
  epsilons: [8, 2],
  epochs: 1,
  trainExamples: 16,
  validationExamples: 4,
  testExamples: 4,
  batchSize: 8,
  lrs: [0.1, 1],
  privateLrs: [0.5, 1],
  mode: 'DP-SGD-AMPLIFIED' as const,
  clipNorm: 1,
  physicalBatch: 8,
  seed: 0,
  // wasm: the U-Net's 64x64 convolutions take minutes on the cpu backend, seconds here.
  backend: 'wasm' as const,
};

describe('unet-utility command', () => {
  it('trains a tiny configuration, picks learning rates on validation Dice and writes both files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'unet-utility-'));
    try {
      const report = await unetUtilityCommand({ ...tiny, out });
      expect(report.results.map((r) => r.label)).toEqual(['non-private', 'ε = 2', 'ε = 8']);
      // The choice, recomputed from the search runs: the highest validation Dice of each group.
      for (const label of ['non-private', 'ε = 2', 'ε = 8']) {
        const group = report.tuning.filter((t) => t.label === label);
        expect(group).toHaveLength(2);
        const best = Math.max(...group.map((t) => t.validation.dice));
        const chosen = group.filter((t) => t.chosen);
        expect(chosen).toHaveLength(1);
        expect(chosen[0]!.validation.dice).toBe(best);
        expect(report.results.find((r) => r.label === label)!.learningRate).toBe(chosen[0]!.learningRate);
      }
      const [nonPrivate, eps2, eps8] = report.results;
      expect(nonPrivate!.epsilon).toBeNull();
      expect(report.settings.delta).toBeCloseTo(16 ** -1.1, 12);
      for (const [run, target] of [
        [eps2!, 2],
        [eps8!, 8],
      ] as const) {
        expect(run.epsilon).toBeGreaterThan(0);
        expect(run.epsilon).toBeLessThanOrEqual(target * (1 + 1e-9));
      }
      // Less budget, more noise.
      expect(eps2!.noiseMultiplier!).toBeGreaterThan(eps8!.noiseMultiplier!);
      for (const r of [...report.results, report.untrained]) {
        for (const s of [r.validation, r.test]) {
          expect(s.dice).toBeGreaterThanOrEqual(0);
          expect(s.dice).toBeLessThanOrEqual(1);
          // Image by image Dice = 2 IoU / (1 + IoU) >= IoU, so the means keep that order.
          expect(s.iou).toBeLessThanOrEqual(s.dice + 1e-12);
        }
      }
      const json = JSON.parse(await readFile(join(out, 'unet-utility.json'), 'utf8'));
      expect(json.results).toEqual(JSON.parse(JSON.stringify(report.results)));
      expect(json.command).toMatch(/^pnpm --filter cnm-bench cli/);
      const markdown = await readFile(join(out, 'unet-utility.md'), 'utf8');
      expect(markdown).toContain(`| ε = 2 | ${eps2!.epsilon!.toFixed(3)} |`);
      expect(markdown).toContain(
        `| ${nonPrivate!.test.dice.toFixed(3)} | ${nonPrivate!.test.iou.toFixed(3)} | 100.0% |`,
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a batch larger than the training set', async () => {
    await expect(unetUtilityCommand({ ...tiny, batchSize: 32, out: tmpdir() })).rejects.toThrow(
      /batch-size must be at most train-examples \(16\)/,
    );
  });
});
