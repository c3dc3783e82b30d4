/** `cnm fit-blt`: fits a BLT strategy for a number of steps and a participation pattern. */
import { type FitBltOptions, fitBlt } from '@cnm/core';
import { type Command, Option } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseBufferCount, parseNumber } from '../parse';
import { createFitProgressBar } from '../progress';
import { withJsonOption, withParticipationOptions } from './shared';

interface FitBltFlags {
  readonly steps: number;
  readonly minSeparation?: number;
  readonly maxParticipations?: number;
  readonly error: 'max' | 'rmse';
  readonly bufferCount?: number | 'auto';
  readonly buffers?: number | 'auto';
  readonly maxBufferCount?: number;
  readonly restarts?: number;
  readonly maxIterations?: number;
  readonly progress: boolean;
  readonly json?: boolean;
}

// fitBlt's own default L-BFGS iteration limit per start, for the length of the progress bar.
const DEFAULT_MAX_ITERATIONS = 1000;

function fitBltResult(flags: FitBltFlags, streams: CliStreams): CommandResult {
  if (flags.bufferCount !== undefined && flags.buffers !== undefined) {
    throw new RangeError('give --buffer-count or its alias --buffers, not both');
  }
  const bufferCount = flags.bufferCount ?? flags.buffers;
  const bar = createFitProgressBar(
    streams.stderr,
    flags.progress,
    flags.maxIterations ?? DEFAULT_MAX_ITERATIONS,
  );
  const options: FitBltOptions = {
    steps: flags.steps,
    error: flags.error,
    onProgress: bar.onProgress,
    ...(flags.minSeparation === undefined ? {} : { minSeparation: flags.minSeparation }),
    ...(flags.maxParticipations === undefined ? {} : { maxParticipations: flags.maxParticipations }),
    ...(bufferCount === undefined ? {} : { bufferCount }),
    ...(flags.maxBufferCount === undefined ? {} : { maxBufferCount: flags.maxBufferCount }),
    ...(flags.restarts === undefined ? {} : { restarts: flags.restarts }),
    ...(flags.maxIterations === undefined ? {} : { maxIterations: flags.maxIterations }),
  };
  let fit: ReturnType<typeof fitBlt>;
  try {
    fit = fitBlt(options);
  } finally {
    bar.stop();
  }
  return {
    loss: fit.loss,
    errorKind: fit.errorKind,
    sensitivity: fit.sensitivity,
    error: fit.error,
    bufferCount: fit.bufferCount,
    decays: Array.from(fit.blt.decays),
    outputScales: Array.from(fit.blt.outputScales),
    converged: fit.converged,
    iterations: fit.iterations,
    lossByBufferCount: fit.lossByBufferCount,
    steps: flags.steps,
    minSeparation: flags.minSeparation ?? flags.steps,
    maxParticipations: flags.maxParticipations ?? 1,
  };
}

/** Registers `cnm fit-blt`. */
export function registerFitBlt(program: Command, streams: CliStreams): void {
  const command = program
    .command('fit-blt')
    .description('fit a BLT strategy (buffered linear Toeplitz) minimising sensitivity x error')
    .requiredOption('--steps <count>', 'number of training steps n', parseNumber);
  withParticipationOptions(command, false)
    .addOption(
      new Option('--error <kind>', 'max: sens x sqrt(max error); rmse: sens x sqrt(mean error)')
        .choices(['max', 'rmse'])
        .default('max'),
    )
    .option('--buffer-count <d>', "number of buffers, or 'auto' (default auto)", parseBufferCount)
    .option('--buffers <d>', 'alias of --buffer-count', parseBufferCount)
    .option('--max-buffer-count <d>', "most buffers that 'auto' tries", parseNumber)
    .option('--restarts <count>', 'extra randomised starts per buffer count', parseNumber)
    .option('--max-iterations <count>', 'L-BFGS iteration limit per start', parseNumber)
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)');
  withJsonOption(command).action((flags: FitBltFlags) => {
    printResult(fitBltResult(flags, streams), flags.json === true, streams.stdout);
  });
}
