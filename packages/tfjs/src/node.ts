/**
 * Node-only helpers of the privacy engine (`@cnm/tfjs/node`): checkpoint files written atomically (to a
 * temporary file, flushed, then renamed over the old one, so an interrupted save never destroys the previous
 * checkpoint), a terminal progress bar, and a pool of worker threads that computes the clipped gradient sums on
 * several cores ({@link createWorkerClipper}). The main entry stays free of Node imports.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { TrainLogs } from './fit-loop';
import type { PrivateTrainer, TrainCallbacks } from './private-trainer';
import { renderProgressBar } from './progress';
import type { TrainerState } from './trainer-state';

export { createWorkerClipper, WorkerClipper, type WorkerClipperOptions } from './parallel/worker-pool';

/**
 * Saves a trainer's state (or a state) to `path`: writes `path.<random>.tmp`, flushes it to disk, then
 * renames it to `path`. On failure the temporary file is removed and the old checkpoint is left as it was.
 */
export async function saveCheckpointFile(source: PrivateTrainer | TrainerState, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  const state = 'exportState' in source ? source.exportState() : source;
  const bytes = await encodeCheckpoint(state);
  const suffix = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  const temporary = `${path}.${suffix}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Reads and checks a checkpoint file written by {@link saveCheckpointFile} (see {@link decodeCheckpoint}). */
export async function loadCheckpointFile(path: string): Promise<TrainerState> {
  return decodeCheckpoint(new Uint8Array(await readFile(path)));
}

/** Where a {@link TerminalProgressBar} writes: `process.stderr` or anything alike. */
export interface ProgressStream {
  /** Writes text. */
  write(text: string): unknown;
  /** True on a terminal: the bar is then redrawn in place. */
  readonly isTTY?: boolean;
}

/** Options of {@link TerminalProgressBar}. */
export interface TerminalProgressBarOptions {
  /** Where to write (default `process.stderr`). */
  readonly stream?: ProgressStream;
  /** Bar width in characters (default 24). */
  readonly width?: number;
}

/**
 * A {@link TrainCallbacks} that draws a progress bar per epoch with the loss and the epsilon spent: redrawn
 * in place on a terminal, one line per epoch otherwise (logs, CI).
 */
export class TerminalProgressBar implements TrainCallbacks {
  readonly #stream: ProgressStream;
  readonly #width: number;

  /** @param options - Output stream and bar width. */
  constructor(options: TerminalProgressBarOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#width = options.width ?? 24;
  }

  #line(trainer: PrivateTrainer, logs: TrainLogs): string {
    const perEpoch = trainer.report.run.stepsPerEpoch;
    const done = trainer.steps % perEpoch === 0 && trainer.steps > 0 ? perEpoch : trainer.steps % perEpoch;
    return renderProgressBar(
      {
        current: done,
        total: perEpoch,
        epoch: Math.ceil(trainer.steps / perEpoch),
        epochs: trainer.report.run.epochs,
        loss: logs.loss,
        epsilon: logs.epsilon,
        ...(logs.valLoss === undefined ? {} : { valLoss: logs.valLoss }),
        ...(logs.valAccuracy === undefined ? {} : { valAccuracy: logs.valAccuracy }),
      },
      this.#width,
    );
  }

  /** Redraws the bar (terminals only). */
  onBatchEnd(_batch: number, logs: TrainLogs, trainer: PrivateTrainer): void {
    if (this.#stream.isTTY === true) this.#stream.write(`\r${this.#line(trainer, logs)}`);
  }

  /** Ends the epoch's line (with the validation metrics, when fit has validation data). */
  onEpochEnd(_epoch: number, logs: TrainLogs, trainer: PrivateTrainer): void {
    this.#stream.write(`${this.#stream.isTTY === true ? '\r' : ''}${this.#line(trainer, logs)}\n`);
  }
}
