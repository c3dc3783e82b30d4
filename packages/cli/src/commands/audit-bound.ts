/**
 * `cnm audit-bound`: the epsilon lower bound that a privacy audit's outcome proves, for the one-run
 * audit (guesses and correct guesses) or the multi-run audit (error counts of a membership test).
 */
import { clopperPearsonEpsilonLowerBound, oneRunEpsilonLowerBound } from '@cnm/accountant';
import type { Command } from 'commander';
import { type CliStreams, type CommandResult, printResult } from '../output';
import { parseNumber } from '../parse';
import { withJsonOption } from './shared';

interface AuditBoundFlags {
  readonly guesses?: number;
  readonly correct?: number;
  readonly canaries?: number;
  readonly falsePositives?: number;
  readonly negatives?: number;
  readonly falseNegatives?: number;
  readonly positives?: number;
  readonly delta: number;
  readonly confidence: number;
  readonly json?: boolean;
}

function auditBoundResult(flags: AuditBoundFlags): CommandResult {
  const { delta, confidence } = flags;
  const oneRun = [flags.guesses, flags.correct, flags.canaries];
  const multiRun = [flags.falsePositives, flags.negatives, flags.falseNegatives, flags.positives];
  const usesOneRun = oneRun.some((value) => value !== undefined);
  const usesMultiRun = multiRun.some((value) => value !== undefined);
  if (usesOneRun === usesMultiRun) {
    throw new RangeError(
      'audit-bound needs either --guesses and --correct (one run) or --false-positives, --negatives, --false-negatives and --positives (many runs)',
    );
  }
  if (usesOneRun) {
    if (flags.guesses === undefined || flags.correct === undefined) {
      throw new RangeError('a one-run audit bound needs --guesses and --correct');
    }
    const { guesses, correct, canaries } = flags;
    const epsilonLowerBound = oneRunEpsilonLowerBound({
      guesses,
      correct,
      delta,
      confidence,
      ...(canaries === undefined ? {} : { canaries }),
    });
    return {
      epsilonLowerBound,
      guesses,
      correct,
      ...(canaries === undefined ? {} : { canaries }),
      delta,
      confidence,
    };
  }
  const [falsePositives, negatives, falseNegatives, positives] = multiRun;
  if (multiRun.some((value) => value === undefined)) {
    throw new RangeError(
      'a multi-run audit bound needs all of --false-positives, --negatives, --false-negatives and --positives',
    );
  }
  const counts = {
    falsePositives: falsePositives as number,
    negatives: negatives as number,
    falseNegatives: falseNegatives as number,
    positives: positives as number,
  };
  const epsilonLowerBound = clopperPearsonEpsilonLowerBound({ ...counts, delta, confidence });
  return { epsilonLowerBound, ...counts, delta, confidence };
}

/** Registers `cnm audit-bound`. */
export function registerAuditBound(program: Command, streams: CliStreams): void {
  const command = program
    .command('audit-bound')
    .description(
      'epsilon lower bound proven by a privacy audit: one run (--guesses, --correct) or many runs (error counts)',
    )
    .option('--guesses <r>', 'one run: canaries guessed (not abstained on)', parseNumber)
    .option('--correct <v>', 'one run: correct guesses', parseNumber)
    .option('--canaries <m>', 'one run: canaries in all (needed when --delta > 0)', parseNumber)
    .option('--false-positives <count>', 'many runs: runs without the canary called "in"', parseNumber)
    .option('--negatives <count>', 'many runs: runs without the canary', parseNumber)
    .option('--false-negatives <count>', 'many runs: runs with the canary called "out"', parseNumber)
    .option('--positives <count>', 'many runs: runs with the canary', parseNumber)
    .option('--delta <delta>', 'delta of the claim being tested', parseNumber, 0)
    .option('--confidence <c>', 'confidence of the bound', parseNumber, 0.95);
  withJsonOption(command).action((flags: AuditBoundFlags) => {
    printResult(auditBoundResult(flags), flags.json === true, streams.stdout);
  });
}
