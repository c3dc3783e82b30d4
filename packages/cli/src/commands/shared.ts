/**
 * Options that several commands share: the output switch and the participation pattern.
 */
import type { Participation } from '@cnm/core';
import type { Command } from 'commander';
import { parseNumber } from '../parse';

/** Adds `--json` to a command. */
export function withJsonOption(command: Command): Command {
  return command.option('--json', 'print one JSON object instead of a table');
}

/** Adds `--min-separation`, `--max-participations` and `--cyclic` to a command. */
export function withParticipationOptions(command: Command, cyclic: boolean): Command {
  command
    .option(
      '--min-separation <steps>',
      'fewest steps between two participations of one example (b)',
      parseNumber,
    )
    .option('--max-participations <count>', 'most participations of one example (k)', parseNumber);
  if (cyclic) {
    command.option(
      '--cyclic',
      'the example participates exactly every --min-separation steps (cyclic passes)',
    );
  }
  return command;
}

/** The parsed participation options. */
export interface ParticipationFlags {
  readonly minSeparation?: number;
  readonly maxParticipations?: number;
  readonly cyclic?: boolean;
}

/**
 * The participation pattern the flags describe: cyclic with period `--min-separation`, (b, k)-min-separation
 * (b defaults to the steps, k to 1), or single participation when neither is given.
 */
export function participationOf(flags: ParticipationFlags, steps: number): Participation {
  if (flags.cyclic === true) {
    if (flags.maxParticipations !== undefined) {
      throw new RangeError('--cyclic takes no --max-participations (the period fixes the participations)');
    }
    if (flags.minSeparation === undefined)
      throw new RangeError('--cyclic needs --min-separation (the period)');
    return { kind: 'cyclic', minSeparation: flags.minSeparation };
  }
  if (flags.minSeparation === undefined && flags.maxParticipations === undefined) return 'single';
  return { minSeparation: flags.minSeparation ?? steps, maxParticipations: flags.maxParticipations ?? 1 };
}

/** The participation pattern in words, for the result table. */
export function describeParticipation(participation: Participation): string {
  if (participation === 'single') return 'single';
  if (participation.kind === 'cyclic') return `cyclic every ${participation.minSeparation} steps`;
  return `min-separation ${participation.minSeparation}, at most ${participation.maxParticipations}`;
}
