/**
 * Resuming a stopped sweep: the learning rates already chosen on the validation split and the runs already
 * recorded are taken from its `sweep.json` and not trained again. Every run is seeded on its own (model, sampling,
 * noise), so a resumed sweep records what an uninterrupted one would have.
 */
import type { LearningRateChoice, SweepEntry, SweepReport } from './sweep-report';

/** The settings a previous sweep must share with this one for its runs to count. */
export interface SweepSetup {
  readonly epochs: number;
  readonly trainExamples: number;
  readonly testExamples: number;
  readonly validationExamples: number;
  readonly batchSize: number;
}

/** What a resumed sweep starts from. */
export interface ResumedSweep {
  readonly choices: LearningRateChoice[];
  readonly entries: SweepEntry[];
}

const SETUP_KEYS: readonly (keyof SweepSetup)[] = [
  'epochs',
  'trainExamples',
  'testExamples',
  'validationExamples',
  'batchSize',
];

/**
 * The choices and runs of `previous` that this sweep can keep. Throws a RangeError naming the setting when the
 * previous sweep was run with another setup (its runs would not be comparable), or when `previous` is not a sweep
 * file.
 */
export function resumeSweep(previous: unknown, setup: SweepSetup, source: string): ResumedSweep {
  const report = previous as Partial<SweepReport> | null;
  if (
    report === null ||
    typeof report !== 'object' ||
    !Array.isArray(report.rows) ||
    !Array.isArray(report.learningRateChoices)
  ) {
    throw new RangeError(`resume: ${source} is not a sweep.json (it has no rows and learningRateChoices)`);
  }
  for (const key of SETUP_KEYS) {
    if (report[key] !== setup[key]) {
      throw new RangeError(
        `resume: ${source} was run with ${key} ${String(report[key])}, this sweep has ${setup[key]}; resume with the same settings or start a new sweep`,
      );
    }
  }
  return { choices: [...report.learningRateChoices], entries: [...report.rows] };
}

/** Whether `entries` holds the run of this row at this ε, seed and learning rate. */
export function hasRun(
  entries: readonly SweepEntry[],
  run: Pick<SweepEntry, 'name' | 'targetEpsilon' | 'seed' | 'learningRate' | 'learningRateChoice'>,
): boolean {
  return entries.some(
    (e) =>
      e.name === run.name &&
      e.targetEpsilon === run.targetEpsilon &&
      e.seed === run.seed &&
      e.learningRate === run.learningRate &&
      e.learningRateChoice === run.learningRateChoice,
  );
}
