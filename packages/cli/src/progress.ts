/**
 * A progress bar (cli-progress) for long fits, on stderr and only when it is a terminal, so that piped
 * output and `--json` stay clean.
 */
import type { FitProgress } from '@cnm/core';
import { SingleBar } from 'cli-progress';

/** A progress reporter for fitBlt's `onProgress`, and a `stop` to call when the fit ends. */
export interface FitProgressBar {
  /** Pass as `onProgress`: moves the bar to the current start's iteration. */
  readonly onProgress: (progress: FitProgress) => undefined;
  /** Removes the bar. */
  readonly stop: () => void;
}

/**
 * A bar over the iterations of the current start (of `maxIterations`), showing the buffer count, the
 * start and the best loss so far; inert when `enabled` is false or `stream` is not a terminal.
 */
export function createFitProgressBar(
  stream: NodeJS.WritableStream,
  enabled: boolean,
  maxIterations: number,
): FitProgressBar {
  if (!enabled || !(stream as { isTTY?: boolean }).isTTY) {
    return { onProgress: () => undefined, stop: () => undefined };
  }
  const bar = new SingleBar({
    stream: stream as NodeJS.WriteStream,
    format:
      'fitting |{bar}| buffers {bufferCount}, start {start}, iteration {value}/{total}, best loss {bestLoss}',
    clearOnComplete: true,
    hideCursor: true,
  });
  let started = false;
  return {
    onProgress(progress) {
      const payload = {
        bufferCount: progress.bufferCount,
        start: progress.start + 1,
        bestLoss: progress.bestLoss.toPrecision(6),
      };
      if (!started) {
        bar.start(maxIterations, progress.iteration, payload);
        started = true;
      } else {
        bar.update(Math.min(progress.iteration, maxIterations), payload);
      }
      return undefined;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
