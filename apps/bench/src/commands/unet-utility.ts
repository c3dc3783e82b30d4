import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModeName } from '@cnm/optim';
import { selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import cliProgress from 'cli-progress';
import { segmentationBatch } from '../clipping/workloads';
import { commandLine, machineInfo } from '../machine';
import { FOREGROUND_THRESHOLD } from '../segmentation/segmentation-metrics';
import {
  type SegmentationSplit,
  trainUnetNonPrivate,
  trainUnetPrivate,
  type UnetRunResult,
  type UnetRunSettings,
  untrainedScores,
} from '../segmentation/unet-training';
import {
  bestByValidationDice,
  type UnetTuningRun,
  type UnetUtilityReport,
  unetUtilityMarkdown,
} from '../segmentation/unet-utility-report';

/** Options of the `unet-utility` command. */
export interface UnetUtilityOptions {
  /** Target epsilons of the private runs. */
  readonly epsilons: number[];
  /** Epochs of every run. */
  readonly epochs: number;
  /** Training images. */
  readonly trainExamples: number;
  /** Validation images (learning-rate choice). */
  readonly validationExamples: number;
  /** Test images (reported scores). */
  readonly testExamples: number;
  /** (Expected) batch size. */
  readonly batchSize: number;
  /** Learning rates tried for non-private training. */
  readonly lrs: number[];
  /** Learning rates tried for private training, at every ε. */
  readonly privateLrs: number[];
  /** Engine mode of the private runs. */
  readonly mode: ModeName;
  /** Clip norm. */
  readonly clipNorm: number;
  /** Examples per physical chunk of the private runs. */
  readonly physicalBatch: number;
  /** Seed of data, initialisation, sampling and noise. */
  readonly seed: number;
  /** Preferred backend. */
  readonly backend: TrainingBackendName;
  /** Output directory. */
  readonly out: string;
}

/** Seed offsets of the three splits: independent draws of the same synthetic task. */
const SPLIT_SEEDS = { train: 0, validation: 1_000_003, test: 2_000_003 } as const;

function split(size: number, seed: number): SegmentationSplit {
  return segmentationBatch(size, seed);
}

/**
 * Trains the clipping comparison's U-Net on its synthetic segmentation task without privacy and privately at each
 * target ε (one run per ε and learning rate: every clipping method gives the same gradients), with the
 * learning rate of each chosen on validation images, and writes the test Dice and IoU to `unet-utility.{json,md}`.
 */
export async function unetUtilityCommand(options: UnetUtilityOptions): Promise<UnetUtilityReport> {
  if (options.epsilons.length === 0) throw new RangeError('epsilons must name at least one target ε');
  if (options.batchSize > options.trainExamples) {
    throw new RangeError(
      `batch-size must be at most train-examples (${options.trainExamples}), got ${options.batchSize}`,
    );
  }
  const selection = await selectBackend({ preferred: options.backend });
  const machine = machineInfo(selection.backend);
  const epsilons = [...options.epsilons].sort((a, b) => a - b);
  const delta = options.trainExamples ** -1.1;
  const train = split(options.trainExamples, options.seed + SPLIT_SEEDS.train);
  const validation = split(options.validationExamples, options.seed + SPLIT_SEEDS.validation);
  const test = split(options.testExamples, options.seed + SPLIT_SEEDS.test);
  const privacy = {
    mode: options.mode,
    delta,
    clipNorm: options.clipNorm,
    physicalBatchSize: options.physicalBatch,
  };

  const runCount = options.lrs.length + options.privateLrs.length * epsilons.length;
  const bars = new cliProgress.MultiBar(
    {
      format: ' {run} [{bar}] {value}/{total} {unit} | loss {loss} | ETA {eta_formatted} | {status}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 30_000,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = bars.create(runCount, 0, { run: 'runs'.padEnd(24), unit: 'runs', loss: '-', status: '' });
  // What every run and the untrained model's scores share: the images and the schedule.
  const data = {
    train,
    validation,
    test,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
  };
  const runOne = async (name: string, trainRun: (s: UnetRunSettings) => Promise<UnetRunResult>) => {
    const bar = bars.create(1, 0, { run: name.padEnd(24), unit: 'steps', loss: '-', status: 'training' });
    const result = await trainRun({
      ...data,
      onStep: (step, total, loss) => {
        if (bar.getTotal() !== total) bar.setTotal(total);
        bar.update(step, { loss: loss.toFixed(4) });
      },
    });
    bar.update({ status: `validation Dice ${result.validation.dice.toFixed(3)}` });
    bar.stop();
    overall.increment();
    return result;
  };

  const tuning: UnetTuningRun[] = [];
  const results: (UnetRunResult & { label: string })[] = [];
  try {
    const search = async (
      label: string,
      lrs: readonly number[],
      run: (lr: number) => (s: UnetRunSettings) => Promise<UnetRunResult>,
    ) => {
      const runs: UnetRunResult[] = [];
      for (const lr of lrs) runs.push(await runOne(`${label} lr ${lr}`, run(lr)));
      const best = bestByValidationDice(runs);
      runs.forEach((r, i) => {
        tuning.push({ ...r, label, chosen: i === best });
      });
      results.push({ ...runs[best]!, label });
    };
    await search('non-private', options.lrs, (lr) => (s) => trainUnetNonPrivate(s, lr));
    // Each ε gets its own search: more noise wants a smaller step (a rate chosen at ε = 8 can stall at ε = 1).
    for (const epsilon of epsilons) {
      await search(
        `ε = ${epsilon}`,
        options.privateLrs,
        (lr) => (s) => trainUnetPrivate(s, { ...privacy, targetEpsilon: epsilon }, lr),
      );
    }
  } finally {
    bars.stop();
  }
  // Non-private first, then by ε.
  results.sort((a, b) => (a.targetEpsilon ?? 0) - (b.targetEpsilon ?? 0));

  const report: UnetUtilityReport = {
    date: new Date().toISOString(),
    machine,
    command: commandLine(),
    settings: {
      trainExamples: options.trainExamples,
      validationExamples: options.validationExamples,
      testExamples: options.testExamples,
      epochs: options.epochs,
      batchSize: options.batchSize,
      clipNorm: options.clipNorm,
      physicalBatchSize: options.physicalBatch,
      mode: options.mode,
      delta,
      seed: options.seed,
      threshold: FOREGROUND_THRESHOLD,
    },
    untrained: untrainedScores(data),
    tuning,
    results,
  };
  tf.dispose([train.x, train.y, validation.x, validation.y, test.x, test.y]);
  const markdown = unetUtilityMarkdown(report);
  await mkdir(options.out, { recursive: true });
  await writeFile(join(options.out, 'unet-utility.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(options.out, 'unet-utility.md'), markdown);
  console.log(markdown);
  return report;
}
