/** `cnm epsilon`: epsilon of DP-SGD with Poisson sampling. */
import { computeEpsilon, type DpSgdAccountant } from '@cnm/accountant';
import { type Command, Option } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber } from '../parse';
import { withJsonOption } from './shared';

interface EpsilonFlags {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly delta: number;
  readonly accountant: DpSgdAccountant;
  readonly json?: boolean;
}

/** The accountant choice shared by `epsilon` and `calibrate`. */
export function accountantOption(): Option {
  return new Option('--accountant <kind>', 'privacy accountant').choices(['pld', 'rdp']).default('pld');
}

function epsilonResult(flags: EpsilonFlags): CommandResult {
  const { noiseMultiplier, sampleRate, steps, delta, accountant } = flags;
  const epsilon = computeEpsilon({ noiseMultiplier, sampleRate, steps, delta, accountant });
  return { epsilon, delta, noiseMultiplier, sampleRate, steps, accountant };
}

/** Registers `cnm epsilon`. */
export function registerEpsilon(program: Command, streams: CliStreams): void {
  const command = program
    .command('epsilon')
    .description('epsilon of DP-SGD: Poisson-sampled Gaussian mechanism composed over steps')
    .requiredOption('--noise-multiplier <sigma>', 'noise standard deviation over the clip norm', parseNumber)
    .requiredOption('--sample-rate <q>', 'Poisson sampling rate (1: every example every step)', parseNumber)
    .requiredOption('--steps <count>', 'number of training steps', parseNumber)
    .requiredOption('--delta <delta>', 'target delta', parseNumber)
    .addOption(accountantOption());
  withJsonOption(command).action((flags: EpsilonFlags) => {
    printResult(epsilonResult(flags), flags.json === true, streams.stdout);
  });
}
