/** `cnm calibrate`: the noise multiplier of DP-SGD that reaches a target epsilon. */
import { calibrateNoiseMultiplier, computeEpsilon, type DpSgdAccountant } from '@cnm/accountant';
import type { Command } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber } from '../parse';
import { accountantOption } from './epsilon';
import { withJsonOption } from './shared';

interface CalibrateFlags {
  readonly epsilon: number;
  readonly delta: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly accountant: DpSgdAccountant;
  readonly json?: boolean;
}

function calibrateResult(flags: CalibrateFlags): CommandResult {
  const { sampleRate, steps, delta, accountant } = flags;
  const noiseMultiplier = calibrateNoiseMultiplier({
    targetEpsilon: flags.epsilon,
    targetDelta: delta,
    sampleRate,
    steps,
    accountant,
  });
  // The epsilon actually spent at the calibrated noise (never above the target).
  const epsilon = computeEpsilon({ noiseMultiplier, sampleRate, steps, delta, accountant });
  return { noiseMultiplier, epsilon, targetEpsilon: flags.epsilon, delta, sampleRate, steps, accountant };
}

/** Registers `cnm calibrate`. */
export function registerCalibrate(program: Command, streams: CliStreams): void {
  const command = program
    .command('calibrate')
    .description('smallest DP-SGD noise multiplier whose epsilon is at most the target')
    .requiredOption('--epsilon <epsilon>', 'target epsilon', parseNumber)
    .requiredOption('--delta <delta>', 'target delta', parseNumber)
    .requiredOption('--sample-rate <q>', 'Poisson sampling rate (1: every example every step)', parseNumber)
    .requiredOption('--steps <count>', 'number of training steps', parseNumber)
    .addOption(accountantOption());
  withJsonOption(command).action((flags: CalibrateFlags) => {
    printResult(calibrateResult(flags), flags.json === true, streams.stdout);
  });
}
