/**
 * `cnm gaussian`: the exact (epsilon, delta) of a Gaussian mechanism without sampling, composed
 * `--compositions` times (mu-GDP). Given two of noise multiplier, epsilon and delta, it computes the third.
 */
import { calibrateGaussian, gaussianDelta, gaussianEpsilon } from '@cnm/accountant';
import type { Command } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber } from '../parse';
import { withJsonOption } from './shared';

interface GaussianFlags {
  readonly noiseMultiplier?: number;
  readonly epsilon?: number;
  readonly delta?: number;
  readonly compositions: number;
  readonly json?: boolean;
}

function gaussianResult(flags: GaussianFlags): CommandResult {
  const { noiseMultiplier, epsilon, delta, compositions } = flags;
  const given = [noiseMultiplier, epsilon, delta].filter((value) => value !== undefined).length;
  if (given !== 2) {
    throw new RangeError(
      `gaussian needs exactly two of --noise-multiplier, --epsilon and --delta (it computes the third), got ${given}`,
    );
  }
  if (noiseMultiplier === undefined) {
    const calibrated = calibrateGaussian({
      targetEpsilon: epsilon as number,
      targetDelta: delta as number,
      compositions,
    });
    const spent = gaussianEpsilon({ noiseMultiplier: calibrated, compositions, delta: delta as number });
    return {
      noiseMultiplier: calibrated,
      epsilon: spent,
      targetEpsilon: epsilon as number,
      delta: delta as number,
      compositions,
    };
  }
  if (epsilon === undefined) {
    return {
      epsilon: gaussianEpsilon({ noiseMultiplier, compositions, delta: delta as number }),
      delta: delta as number,
      noiseMultiplier,
      compositions,
    };
  }
  return {
    delta: gaussianDelta({ noiseMultiplier, compositions, epsilon }),
    epsilon,
    noiseMultiplier,
    compositions,
  };
}

/** Registers `cnm gaussian`. */
export function registerGaussian(program: Command, streams: CliStreams): void {
  const command = program
    .command('gaussian')
    .description(
      'exact (epsilon, delta) of the Gaussian mechanism without sampling, composed --compositions times: give two of --noise-multiplier, --epsilon, --delta',
    )
    .option(
      '--noise-multiplier <sigma>',
      'noise standard deviation over the sensitivity of each release',
      parseNumber,
    )
    .option('--epsilon <epsilon>', 'epsilon (or target epsilon when calibrating)', parseNumber)
    .option('--delta <delta>', 'delta', parseNumber)
    .option('--compositions <count>', 'number of composed releases (steps x participations)', parseNumber, 1);
  withJsonOption(command).action((flags: GaussianFlags) => {
    printResult(gaussianResult(flags), flags.json === true, streams.stdout);
  });
}
