import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrivacyEngine, type PrivateTrainer, selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import { createWorkerClipper, type WorkerClipper } from '@cnm/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import { clippingStep } from '../clipping/cell';
import { CLIPPING_WORKLOADS } from '../clipping/workloads';
import { commandLine, machineInfo } from '../machine';

/** Options of the `parallel-training` command. */
export interface ParallelTrainingOptions {
  /** Batch size. */
  readonly batchSize: number;
  /** Timed steps per row (after one warm-up step). */
  readonly steps: number;
  /** Worker counts of the pooled rows. */
  readonly workers: number[];
  /** Preferred backend of the main thread (the workers use wasm). */
  readonly backend: TrainingBackendName;
  /** Output directory. */
  readonly out: string;
}

/** One row of the comparison. */
export interface ParallelTrainingRow {
  /** What was timed. */
  readonly label: string;
  /** Worker threads (0: the calling thread). */
  readonly workers: number;
  /** Mean step time over the timed steps, ms. */
  readonly stepTimeMs: number;
  /** Examples per second. */
  readonly samplesPerSecond: number;
  /** CPU time of the process (every thread) per step, ms: above the wall time when several threads work. */
  readonly cpuTimeMs: number;
}

async function timeSteps(steps: number, step: () => unknown): Promise<{ wallMs: number; cpuMs: number }> {
  await step();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < steps; i += 1) await step();
  const wallMs = (performance.now() - start) / steps;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 / steps };
}

/**
 * Samples/s of the CNN at one batch size: non-private training, private training (book-keeping clipping,
 * BLT noise, the engine's optimizer) in the calling thread, and private training with the clipped sums computed
 * by a pool of 1, 2, ... worker threads; all in one process, one after the other.
 */
export async function parallelTrainingCommand(
  options: ParallelTrainingOptions,
): Promise<ParallelTrainingRow[]> {
  const selection = await selectBackend({ preferred: options.backend });
  const machine = machineInfo(selection.backend);
  const workload = CLIPPING_WORKLOADS.cnn;
  const batch = options.batchSize;
  // One epoch of exactly warm-up + timed steps (cyclic sampler: every batch has `batch` examples).
  const data = workload.batch(batch * (options.steps + 1), 5);
  const rows: ParallelTrainingRow[] = [];
  const add = (label: string, workers: number, { wallMs, cpuMs }: { wallMs: number; cpuMs: number }) => {
    rows.push({
      label,
      workers,
      stepTimeMs: wallMs,
      samplesPerSecond: (1000 * batch) / wallMs,
      cpuTimeMs: cpuMs,
    });
    console.error(
      `${label}: ${wallMs.toFixed(0)} ms/step, ${((1000 * batch) / wallMs).toFixed(0)} samples/s, CPU ${cpuMs.toFixed(0)} ms/step`,
    );
  };

  const plainModel = workload.createModel();
  const xs = tf.slice(data.x, 0, batch);
  const ys = tf.slice(data.y, 0, batch);
  add(
    'non-private (plain SGD)',
    0,
    await timeSteps(options.steps, () => clippingStep(workload, plainModel, 'non-private', xs, ys)),
  );
  tf.dispose([xs, ys]);
  plainModel.dispose();

  const trainer = (clipper?: WorkerClipper): PrivateTrainer =>
    new PrivacyEngine().makePrivate({
      model: workload.createModel(),
      lossFn: workload.lossFn,
      data,
      epochs: 1,
      batchSize: batch,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      bufferCount: 2,
      seed: 1,
      ...(clipper === undefined ? {} : { clippedGradients: clipper }),
    });
  const inProcess = trainer();
  add(
    'private (book-keeping + BLT noise), this thread',
    0,
    await timeSteps(options.steps, () => inProcess.step()),
  );
  inProcess.model.dispose();

  for (const workers of options.workers) {
    const clipper = createWorkerClipper({
      workers,
      modelModule: new URL('../clipping/cnn-module.ts', import.meta.url),
    });
    try {
      await clipper.ready();
      const pooled = trainer(clipper);
      add(
        `private (book-keeping + BLT noise), ${workers} worker${workers === 1 ? '' : 's'}`,
        workers,
        await timeSteps(options.steps, () => pooled.stepAsync()),
      );
      pooled.model.dispose();
    } finally {
      await clipper.dispose();
    }
  }
  tf.dispose(data);

  const report = {
    date: new Date().toISOString(),
    machine,
    command: commandLine(),
    batchSize: batch,
    steps: options.steps,
    rows,
  };
  const nonPrivate = rows[0]!.samplesPerSecond;
  const markdown = [
    `Command: \`${report.command}\``,
    '',
    `Date: ${report.date}. Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, backend \`${selection.backend}\`, load average at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')}. CNN, batch ${batch}, ${options.steps} timed steps per row after one warm-up step, one process.`,
    '',
    '| training | samples/s | ms/step | vs non-private | CPU ms/step (all threads) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.samplesPerSecond.toFixed(0)} | ${r.stepTimeMs.toFixed(0)} | ${(r.samplesPerSecond / nonPrivate).toFixed(2)}x | ${r.cpuTimeMs.toFixed(0)} |`,
    ),
    '',
  ].join('\n');
  await mkdir(options.out, { recursive: true });
  await writeFile(join(options.out, 'parallel-training.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(options.out, 'parallel-training.md'), markdown);
  console.log(markdown);
  return rows;
}
