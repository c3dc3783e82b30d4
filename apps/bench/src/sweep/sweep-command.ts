/**
 * `cnm-bench sweep`: the privacy-utility sweep. Each sweep row (DP-SGD, Multi-Epoch-BLT, Amplified-BandMF and the
 * Adam counterparts DP-Adam, Multi-Epoch-BLT-Adam, Amplified-BandMF-Adam) is trained at every ε and every seed with
 * its default learning rate; at ε = 8 each row also tries ½ and ¼ of it on a validation split held out from the
 * training data, and the one chosen there is trained on all the training data at every ε and seed and reported
 * beside the default. Writes `sweep.json`, `sweep.md` and `sweep-accuracy.{svg,png}`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import { createWorkerClipper, type WorkerClipper } from '@cnm/tfjs/node';
import type { FashionMnistSplit } from '../data/fashion-mnist';
import { loadFashionMnist } from '../data/fashion-mnist';
import { commandLine, machineInfo } from '../machine';
import { createCnn } from '../models/classifiers';
import { renderSvg, svgToPng } from '../report/plots';
import { type BenchRow, CLIP_NORM, deltaFor, ROWS } from '../rows';
import { DEFAULT_WEIGHT_AVERAGE } from '../table';
import { privateRowRunner } from '../train/private';
import { disposeSplit, type SplitTensors, splitToTensors } from '../train/tensors';
import {
  type LearningRateChoice,
  type SweepEntry,
  type SweepReport,
  sweepMarkdown,
  sweepSpec,
} from './sweep-report';
import { hasRun, resumeSweep } from './sweep-resume';

/** The sweep's rows: their names in the sweep and the table rows they train. */
export const SWEEP_ROWS: readonly { readonly name: string; readonly id: string }[] = Object.freeze([
  { name: 'DP-SGD', id: 'dp-sgd' },
  { name: 'Multi-Epoch-BLT', id: 'blt-multi-epoch' },
  { name: 'Amplified-BandMF', id: 'bandmf' },
  { name: 'DP-Adam', id: 'dp-adam' },
  { name: 'Multi-Epoch-BLT-Adam', id: 'adambc-multi-epoch' },
  { name: 'Amplified-BandMF-Adam', id: 'bandmf-adambc' },
]);

/** Options of the `sweep` command. */
export interface SweepOptions {
  readonly epsilons: number[];
  /** Number of seeds (0, 1, …). */
  readonly seeds: number;
  readonly epochs: number;
  /** First training examples used (all when absent). */
  readonly trainExamples?: number;
  /** First test examples used (all when absent). */
  readonly testExamples?: number;
  /** Last training examples held out to choose the learning rate. */
  readonly validationExamples: number;
  /** Factors of each row's learning rate tried at ε = 8 (the first is the default, 1). */
  readonly learningRateFactors: number[];
  /** Sweep row names or ids (all when absent). */
  readonly rows?: string[];
  readonly batchSize: number;
  /** Worker threads that clip the gradients (0: this thread). */
  readonly workers: number;
  readonly adamVarianceFloor?: number;
  readonly backend: TrainingBackendName;
  readonly out: string;
  /** A stopped sweep's `sweep.json`: its learning-rate choices and recorded runs are kept, not trained again. */
  readonly resume?: string;
}

/** The examples [start, end) of a split, without copying. */
function sliceSplit(split: FashionMnistSplit, start: number, end: number): FashionMnistSplit {
  return {
    ...split,
    count: end - start,
    images: split.images.subarray(start * 784, end * 784),
    labels: split.labels.subarray(start, end),
  };
}

function sweepRows(selection?: readonly string[]): { name: string; row: BenchRow }[] {
  const all = SWEEP_ROWS.map(({ name, id }) => ({ name, row: ROWS.find((r) => r.id === id) as BenchRow }));
  if (selection === undefined || selection.length === 0) return all;
  return selection.map((raw) => {
    const key = raw.trim().toLowerCase();
    const found = all.find((r) => r.name.toLowerCase() === key || r.row.id === key);
    if (found === undefined) {
      throw new RangeError(
        `unknown sweep row '${raw}': use ${all.map((r) => `${r.row.id} (${r.name})`).join(', ')}`,
      );
    }
    return found;
  });
}

/** Runs the sweep and writes its files; returns the report. */
export async function sweepCommand(options: SweepOptions): Promise<SweepReport> {
  const rows = sweepRows(options.rows);
  if (!options.epsilons.includes(8))
    throw new RangeError('epsilons must include 8 (the learning rate is chosen there)');
  const selection = await selectBackend({ preferred: options.backend });
  const data = await loadFashionMnist();
  const trainCount = Math.min(options.trainExamples ?? data.train.count, data.train.count);
  if (trainCount < 3 * options.batchSize) {
    throw new RangeError(
      `train-examples must be at least 3 × batch-size (${3 * options.batchSize}) to hold a validation split and a training part, got ${trainCount}`,
    );
  }
  if (
    !(
      options.validationExamples >= options.batchSize &&
      options.validationExamples < trainCount - options.batchSize
    )
  ) {
    throw new RangeError(
      `validation-examples must be in [batch size ${options.batchSize}, ${trainCount - options.batchSize}), got ${options.validationExamples}`,
    );
  }
  const train = splitToTensors(data.train, trainCount);
  const test = splitToTensors(data.test, options.testExamples ?? data.test.count);
  const fitPart = splitToTensors(sliceSplit(data.train, 0, trainCount - options.validationExamples));
  const validation = splitToTensors(
    sliceSplit(data.train, trainCount - options.validationExamples, trainCount),
  );
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  const resumed =
    options.resume === undefined
      ? { choices: [], entries: [] }
      : resumeSweep(
          JSON.parse(await readFile(options.resume, 'utf8')),
          {
            epochs: options.epochs,
            trainExamples: trainCount,
            testExamples: test.count,
            validationExamples: options.validationExamples,
            batchSize: options.batchSize,
          },
          options.resume,
        );
  const entries: SweepEntry[] = resumed.entries;
  const choices: LearningRateChoice[] = resumed.choices;
  const reportSoFar = (complete: boolean): SweepReport => ({
    date: new Date().toISOString(),
    command: commandLine(),
    machine: machineInfo(selection.backend) as unknown as Record<string, unknown>,
    complete,
    epochs: options.epochs,
    trainExamples: trainCount,
    testExamples: test.count,
    validationExamples: options.validationExamples,
    batchSize: options.batchSize,
    seeds,
    epsilons: [...options.epsilons].sort((a, b) => a - b),
    learningRateChoices: choices,
    rows: entries,
  });
  // A run of hours keeps what it has measured: the files are rewritten after every run, marked incomplete.
  const writeTables = async (report: SweepReport) => {
    await mkdir(options.out, { recursive: true });
    await writeFile(join(options.out, 'sweep.json'), `${JSON.stringify(report, null, 1)}\n`);
    const markdown = sweepMarkdown(report);
    await writeFile(join(options.out, 'sweep.md'), markdown);
    return markdown;
  };
  const run = async (
    row: BenchRow,
    learningRate: number,
    epsilon: number,
    seed: number,
    on: SplitTensors,
    evaluateOn: SplitTensors,
  ) => {
    const model = createCnn({ seed });
    // A worker pool serves one model: one pool per run.
    const clipper: WorkerClipper | undefined =
      options.workers > 0
        ? createWorkerClipper({
            workers: options.workers,
            modelModule: new URL('../clipping/cnn-module.ts', import.meta.url),
          })
        : undefined;
    try {
      if (clipper !== undefined) await clipper.ready();
      return await privateRowRunner({
        row: { ...row, learningRate },
        model,
        train: on,
        test: evaluateOn,
        epochs: options.epochs,
        batchSize: options.batchSize,
        targetEpsilon: epsilon,
        delta: deltaFor(on.count),
        clipNorm: CLIP_NORM,
        seed,
        weightAverage: DEFAULT_WEIGHT_AVERAGE,
        ...(row.optimizer === 'adam' && options.adamVarianceFloor !== undefined
          ? { adamVarianceFloor: options.adamVarianceFloor }
          : {}),
        ...(clipper === undefined ? {} : { clippedGradients: clipper }),
      });
    } finally {
      await clipper?.dispose();
      model.dispose();
    }
  };
  const record = async (
    name: string,
    row: BenchRow,
    epsilon: number,
    seed: number,
    learningRate: number,
    choice: SweepEntry['learningRateChoice'],
    result: Awaited<ReturnType<typeof run>>,
  ) => {
    const bands = (result.strategy as { bandmf?: { bands: number } } | null)?.bandmf?.bands;
    const entry: SweepEntry = {
      name,
      mode: row.mode,
      targetEpsilon: epsilon,
      epsilon: result.epsilon,
      seed,
      accuracy: result.accuracy,
      averagedAccuracy: result.averagedAccuracy ?? null,
      ...(bands === undefined ? {} : { bands }),
      learningRate,
      learningRateChoice: choice,
      epochs: options.epochs,
    };
    entries.push(entry);
    await writeTables(reportSoFar(false));
    console.error(
      `${name} ε=${epsilon} seed ${seed} lr ${learningRate}: ${entry.accuracy?.toFixed(2)}% (EMA ${entry.averagedAccuracy?.toFixed(2)}%)${bands === undefined ? '' : ` b=${bands}`}`,
    );
  };
  try {
    // Learning rates at ε = 8 on the validation split (seed 0), never on the test set.
    for (const { name, row } of rows) {
      if (choices.some((c) => c.name === name)) continue;
      const tried = [];
      for (const factor of options.learningRateFactors) {
        const learningRate = row.learningRate * factor;
        const result = await run(row, learningRate, 8, 0, fitPart, validation);
        tried.push({ learningRate, validationAccuracy: result.accuracy });
        console.error(`${name} lr ${learningRate}: validation ${result.accuracy?.toFixed(2)}%`);
      }
      const best = tried.reduce((a, b) =>
        (b.validationAccuracy ?? -1) > (a.validationAccuracy ?? -1) ? b : a,
      );
      choices.push({ name, tried, chosen: best.learningRate });
      await writeTables(reportSoFar(false));
    }
    for (const epsilon of options.epsilons) {
      for (const { name, row } of rows) {
        for (const seed of seeds) {
          const runDefault = { name, targetEpsilon: epsilon, seed, learningRate: row.learningRate };
          if (!hasRun(entries, { ...runDefault, learningRateChoice: 'default' })) {
            await record(
              name,
              row,
              epsilon,
              seed,
              row.learningRate,
              'default',
              await run(row, row.learningRate, epsilon, seed, train, test),
            );
          }
          const chosen = choices.find((c) => c.name === name)?.chosen ?? row.learningRate;
          const runChosen = {
            ...runDefault,
            learningRate: chosen,
            learningRateChoice: 'validation' as const,
          };
          // The rate chosen at ε = 8 is also trained at every other ε: where the default diverges, the default
          // alone would say nothing about the mode.
          if (chosen !== row.learningRate && !hasRun(entries, runChosen)) {
            await record(
              name,
              row,
              epsilon,
              seed,
              chosen,
              'validation',
              await run(row, chosen, epsilon, seed, train, test),
            );
          }
        }
      }
    }
  } finally {
    for (const split of [train, test, fitPart, validation]) disposeSplit(split);
  }
  const report = reportSoFar(true);
  const markdown = await writeTables(report);
  const svg = await renderSvg(sweepSpec(report));
  await writeFile(join(options.out, 'sweep-accuracy.svg'), svg);
  await writeFile(join(options.out, 'sweep-accuracy.png'), svgToPng(svg));
  console.log(markdown);
  return report;
}
