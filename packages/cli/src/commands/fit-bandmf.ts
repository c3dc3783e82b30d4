/** `cnm fit-bandmf`: fits a banded Toeplitz strategy (banded matrix factorisation). */
import { type FitBandMfOptions, fitBandMf } from '@cnm/core';
import { type Command, Option } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber } from '../parse';
import { withJsonOption } from './shared';

interface FitBandMfFlags {
  readonly steps: number;
  readonly bands: number;
  readonly error: 'rmse' | 'max';
  readonly momentum?: number;
  readonly maxIterations?: number;
  readonly json?: boolean;
}

function fitBandMfResult(flags: FitBandMfFlags): CommandResult {
  const options: FitBandMfOptions = {
    steps: flags.steps,
    bands: flags.bands,
    error: flags.error,
    ...(flags.momentum === undefined ? {} : { momentum: flags.momentum }),
    ...(flags.maxIterations === undefined ? {} : { maxIterations: flags.maxIterations }),
  };
  const fit = fitBandMf(options);
  return {
    loss: fit.loss,
    errorKind: fit.errorKind,
    error: fit.error,
    bands: fit.bands,
    coefficients: Array.from(fit.coefficients),
    converged: fit.converged,
    iterations: fit.iterations,
    steps: flags.steps,
    ...(flags.momentum === undefined ? {} : { momentum: flags.momentum }),
  };
}

/** Registers `cnm fit-bandmf`. */
export function registerFitBandMf(program: Command, streams: CliStreams): void {
  const command = program
    .command('fit-bandmf')
    .description('fit a banded Toeplitz strategy (banded MF) minimising sensitivity x error, column norm 1')
    .requiredOption('--steps <count>', 'number of training steps n', parseNumber)
    .requiredOption('--bands <count>', 'number of bands b of the strategy', parseNumber)
    .addOption(
      new Option('--error <kind>', 'rmse: sqrt(mean error); max: sqrt(max error)')
        .choices(['rmse', 'max'])
        .default('rmse'),
    )
    .option('--momentum <mu>', 'heavy-ball momentum of the workload, in [0, 1)', parseNumber)
    .option('--max-iterations <count>', 'L-BFGS iteration limit per start', parseNumber);
  withJsonOption(command).action((flags: FitBandMfFlags) => {
    printResult(fitBandMfResult(flags), flags.json === true, streams.stdout);
  });
}
