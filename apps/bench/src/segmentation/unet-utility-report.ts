import type { MachineInfo } from '../report/table-report';
import type { SegmentationScores } from './segmentation-metrics';
import type { UnetRunResult } from './unet-training';

/** One learning-rate trial: a run scored on the validation images. */
export interface UnetTuningRun extends UnetRunResult {
  /** `non-private` or `ε = <target>`. */
  readonly label: string;
  /** Whether this learning rate was chosen (best validation Dice of its group). */
  readonly chosen: boolean;
}

/** The `unet-utility` results file. */
export interface UnetUtilityReport {
  /** ISO date of the end of the run. */
  readonly date: string;
  /** Machine and backend. */
  readonly machine: MachineInfo;
  /** Command line. */
  readonly command: string;
  /** Settings shared by every run. */
  readonly settings: {
    readonly trainExamples: number;
    readonly validationExamples: number;
    readonly testExamples: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly clipNorm: number;
    readonly physicalBatchSize: number;
    readonly mode: string;
    readonly delta: number;
    readonly seed: number;
    readonly threshold: number;
  };
  /** Scores of the initial weights, for reference. */
  readonly untrained: { readonly validation: SegmentationScores; readonly test: SegmentationScores };
  /** Every run of the learning-rate search. */
  readonly tuning: readonly UnetTuningRun[];
  /** The reported runs: non-private first, then by ε, each at its chosen learning rate. */
  readonly results: readonly (UnetRunResult & { readonly label: string })[];
}

/** Index of the run with the highest validation Dice (the first one on a tie). */
export function bestByValidationDice(runs: readonly Pick<UnetRunResult, 'validation'>[]): number {
  if (runs.length === 0) throw new RangeError('bestByValidationDice needs at least one run');
  let best = 0;
  for (let i = 1; i < runs.length; i += 1) {
    if (runs[i]!.validation.dice > runs[best]!.validation.dice) best = i;
  }
  return best;
}

const fixed = (x: number, digits = 3) => x.toFixed(digits);

/** The markdown of a report: settings, the results table and the learning-rate search. */
export function unetUtilityMarkdown(report: UnetUtilityReport): string {
  const { settings: s, machine } = report;
  const nonPrivate = report.results.find((r) => r.targetEpsilon == null);
  const rows = report.results.map((r) => {
    const ratio =
      nonPrivate == null || nonPrivate.test.dice === 0
        ? '–'
        : `${fixed((100 * r.test.dice) / nonPrivate.test.dice, 1)}%`;
    return `| ${r.label} | ${r.epsilon == null ? '∞' : fixed(r.epsilon)} | ${r.noiseMultiplier == null ? '–' : fixed(r.noiseMultiplier, 4)} | ${r.learningRate} | ${r.steps} | ${fixed(r.test.dice)} | ${fixed(r.test.iou)} | ${ratio} | ${fixed(r.validation.dice)} | ${r.trainSeconds.toFixed(0)} |`;
  });
  const tuning = report.tuning.map(
    (t) =>
      `| ${t.label} | ${t.learningRate} | ${fixed(t.validation.dice)} | ${fixed(t.validation.iou)} | ${t.chosen ? 'yes' : ''} |`,
  );
  return [
    `Command: \`${report.command}\``,
    '',
    `Date: ${report.date}. Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, backend \`${machine.backend}\`, load average at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')}.`,
    '',
    `U-Net of the clipping comparison (14,265 parameters) on its synthetic 64x64 rectangle segmentation: ${s.trainExamples} training images, ${s.validationExamples} validation images (learning rate only), ${s.testExamples} test images, each split drawn with its own seed. ${s.epochs} epochs, batch ${s.batchSize}, plain SGD, mean per-pixel sigmoid cross-entropy. Private runs: \`PrivacyEngine.makePrivateWithEpsilon\`, mode \`${s.mode}\`, clip norm ${s.clipNorm}, δ = ${s.delta.toExponential(3)} (N^-1.1), book-keeping clipping in physical chunks of ${s.physicalBatchSize}, seed ${s.seed}. Dice and IoU are computed per test image and averaged; a pixel is foreground when its probability is above ${s.threshold} (logit > 0); an image with an empty prediction and an empty mask would score 1 (the synthetic masks are never empty). Untrained U-Net: Dice ${fixed(report.untrained.test.dice)}, IoU ${fixed(report.untrained.test.iou)}.`,
    '',
    '| training | ε spent | σ | lr | steps | test Dice | test IoU | Dice vs non-private | validation Dice | train s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Learning rate of each row chosen by its validation Dice (the test images choose nothing).',
    '',
    '| search | lr | validation Dice | validation IoU | chosen |',
    '|---|---:|---:|---:|---|',
    ...tuning,
    '',
  ].join('\n');
}
