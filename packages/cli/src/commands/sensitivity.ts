/**
 * `cnm sensitivity`: sensitivity (and prefix-sum error and loss) of a strategy under a participation
 * pattern: a BLT from its parameters, a named strategy, or raw Toeplitz coefficients.
 */
import {
  Blt,
  bandedSquareRootStrategy,
  bltLoss,
  identityStrategy,
  type LossSummary,
  type Strategy,
  sensitivity,
  singleParameterStrategy,
  squareRootStrategy,
  strategyLoss,
} from '@cnm/core';
import { type Command, Option } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber, parseNumberList } from '../parse';
import {
  describeParticipation,
  type ParticipationFlags,
  participationOf,
  withJsonOption,
  withParticipationOptions,
} from './shared';

const STRATEGIES = ['identity', 'square-root', 'banded-square-root', 'single-parameter'] as const;

interface SensitivityFlags extends ParticipationFlags {
  readonly steps?: number;
  readonly decays?: number[];
  readonly outputScales?: number[];
  readonly strategy?: (typeof STRATEGIES)[number];
  readonly bands?: number;
  readonly gamma?: number;
  readonly coefficients?: number[];
  readonly json?: boolean;
}

function namedStrategy(flags: SensitivityFlags): Strategy {
  const { strategy, bands, gamma } = flags;
  if (bands !== undefined && strategy !== 'banded-square-root') {
    throw new RangeError('--bands applies to --strategy banded-square-root only');
  }
  if (gamma !== undefined && strategy !== 'single-parameter') {
    throw new RangeError('--gamma applies to --strategy single-parameter only');
  }
  switch (strategy) {
    case 'identity':
      return identityStrategy();
    case 'square-root':
      return squareRootStrategy();
    case 'banded-square-root':
      if (bands === undefined) throw new RangeError('--strategy banded-square-root needs --bands');
      return bandedSquareRootStrategy(bands);
    default:
      if (gamma === undefined) throw new RangeError('--strategy single-parameter needs --gamma');
      return singleParameterStrategy(gamma);
  }
}

function lossColumns(loss: LossSummary): CommandResult {
  return {
    sensitivity: loss.sensitivity,
    maxError: loss.maxError,
    meanError: loss.meanError,
    maxErrorLoss: loss.maxErrorLoss,
    rmseLoss: loss.rmseLoss,
  };
}

function sensitivityResult(flags: SensitivityFlags): CommandResult {
  const sources = [flags.decays ?? flags.outputScales, flags.strategy, flags.coefficients];
  const count = sources.filter((source) => source !== undefined).length;
  if (count !== 1) {
    throw new RangeError(
      `sensitivity needs exactly one of --decays/--output-scales (a BLT), --strategy or --coefficients, got ${count}`,
    );
  }
  if (flags.coefficients !== undefined) {
    const steps = flags.coefficients.length;
    if (flags.steps !== undefined && flags.steps !== steps) {
      throw new RangeError(
        `--steps (${flags.steps}) must equal the number of --coefficients (${steps}), or be left out`,
      );
    }
    const participation = participationOf(flags, steps);
    const value = sensitivity(flags.coefficients, participation);
    return { sensitivity: value, steps, participation: describeParticipation(participation) };
  }
  if (flags.steps === undefined) throw new RangeError('--steps is required with --decays or --strategy');
  const { steps } = flags;
  const participation = participationOf(flags, steps);
  if (flags.strategy !== undefined) {
    const strategy = namedStrategy(flags);
    const loss = strategyLoss(strategy, { steps, participation });
    return {
      ...lossColumns(loss),
      strategy: strategy.name,
      steps,
      participation: describeParticipation(participation),
    };
  }
  if (flags.decays === undefined || flags.outputScales === undefined) {
    throw new RangeError('a BLT needs both --decays and --output-scales');
  }
  const blt = new Blt(flags.decays, flags.outputScales);
  const loss = bltLoss(blt, { steps, participation });
  return {
    ...lossColumns(loss),
    strategy: `blt(buffers=${blt.bufferCount})`,
    steps,
    participation: describeParticipation(participation),
  };
}

/** Registers `cnm sensitivity`. */
export function registerSensitivity(program: Command, streams: CliStreams): void {
  const command = program
    .command('sensitivity')
    .description(
      'sensitivity (clip norm 1) of a strategy under a participation pattern, with its prefix-sum error and loss',
    )
    .option('--steps <count>', 'number of training steps n', parseNumber)
    .option('--decays <list>', 'BLT buffer decays, comma-separated', parseNumberList)
    .option('--output-scales <list>', 'BLT output scales, comma-separated', parseNumberList)
    .addOption(new Option('--strategy <name>', 'a named strategy').choices(STRATEGIES))
    .option('--bands <count>', 'bands of the banded square root', parseNumber)
    .option('--gamma <gamma>', 'decay of the single-parameter strategy c_j = gamma^j', parseNumber)
    .option('--coefficients <list>', 'Toeplitz coefficients c_0, c_1, ... (one per step)', parseNumberList);
  withParticipationOptions(command, true);
  withJsonOption(command).action((flags: SensitivityFlags) => {
    printResult(sensitivityResult(flags), flags.json === true, streams.stdout);
  });
}
