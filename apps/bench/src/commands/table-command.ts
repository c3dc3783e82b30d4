import { join } from 'node:path';
import { selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import cliProgress from 'cli-progress';
import { loadFashionMnist } from '../data/fashion-mnist';
import { commandLine, machineInfo } from '../machine';
import { type TableReport, withStepTimeRatios } from '../report/table-report';
import { writeReport } from '../report/write';
import { BATCH_SIZE, deltaFor, type Profile, profileByName, selectRows } from '../rows';
import { notRunResult, runTable } from '../table';
import { loadPrivateRunner } from '../train/private';
import type { RowResult } from '../train/result';

/** Options of the `table` command. */
export interface TableCommandOptions {
  /** Profile name. */
  readonly profile: string;
  /** Row ids or names. */
  readonly rows?: string[];
  /** Epochs, overriding the profile's. */
  readonly epochs?: number;
  /** Training examples, overriding the profile's. */
  readonly trainExamples?: number;
  /** Seed. */
  readonly seed: number;
  /** DP-AdamBC second-moment floor of the private Adam rows (engine default when absent). */
  readonly adamVarianceFloor?: number;
  /** Decay of the weight average evaluated beside the last iterate. */
  readonly weightAverageDecay: number;
  /** `false` to evaluate the last iterate only. */
  readonly weightAverage: boolean;
  /** Preferred backend. */
  readonly backend: TrainingBackendName;
  /** Output directory. */
  readonly out: string;
}

/** Runs the table and writes `results/<profile>.json`, the markdown table and the plots. */
export async function tableCommand(options: TableCommandOptions): Promise<TableReport> {
  const profile: Profile = profileByName(options.profile);
  const rows = selectRows(options.rows);
  const epochs = options.epochs ?? profile.epochs;
  const selection = await selectBackend({ preferred: options.backend });
  const machine = machineInfo(selection.backend);
  const data = await loadFashionMnist();
  const privateRunner = loadPrivateRunner();
  const adamVarianceFloor = options.adamVarianceFloor ?? profile.adamVarianceFloor;
  const weightAverage = options.weightAverage ? { decay: options.weightAverageDecay, warmup: true } : null;
  const trainExamples = options.trainExamples ?? profile.trainExamples ?? data.train.count;
  const profileName =
    epochs === profile.epochs && trainExamples === (profile.trainExamples ?? data.train.count)
      ? profile.name
      : `${profile.name}-custom`;
  console.error(
    `profile ${profileName}: ${rows.length} rows, ${epochs} epochs, N = ${trainExamples}, backend ${selection.backend}, data from ${data.directory}`,
  );
  const bars = new cliProgress.MultiBar(
    {
      format: ' {row} [{bar}] {value}/{total} {unit} | loss {loss} | ETA {eta_formatted} | {status}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 60_000,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = bars.create(rows.length, 0, {
    row: 'rows'.padEnd(26),
    unit: 'rows',
    loss: '-',
    status: '',
  });
  let bar: cliProgress.SingleBar | undefined;
  const finished: RowResult[] = [];
  const reportOf = (rowResults: readonly RowResult[]): TableReport => ({
    profile: profileName,
    date: new Date().toISOString(),
    machine,
    command: commandLine(),
    epochs,
    trainExamples,
    testExamples: data.test.count,
    seed: options.seed,
    // Rows not reached yet are listed as not run, so that a partial file is still a whole table.
    rows: withStepTimeRatios(
      rows.map(
        (row) =>
          rowResults.find((r) => r.name === row.name) ??
          notRunResult(row, epochs, BATCH_SIZE, deltaFor(trainExamples), 'not reached yet in this run'),
      ),
    ),
  });
  await runTable({
    rows,
    data,
    epochs,
    batchSize: BATCH_SIZE,
    trainExamples,
    seed: options.seed,
    weightAverage,
    ...(adamVarianceFloor == null ? {} : { adamVarianceFloor }),
    ...(privateRunner.runner == null ? {} : { privateRunner: privateRunner.runner }),
    privateUnavailableReason: privateRunner.reason,
    onRowStart: (row, totalSteps) => {
      bar = bars.create(totalSteps, 0, {
        row: row.name.padEnd(26),
        unit: 'steps',
        loss: '-',
        status: 'training',
      });
    },
    onStep: (step, total, loss) => {
      // The row's own step count (a cyclic sampler rounds the last batch up) replaces the planned one.
      if (bar !== undefined && bar.getTotal() !== total) bar.setTotal(total);
      bar?.update(step, { loss: loss.toFixed(3) });
    },
    onRowEnd: async (result) => {
      console.error(
        `${result.name}: ${result.status}${result.accuracy == null ? '' : `, accuracy ${result.accuracy.toFixed(2)}%`}${
          result.epsilon == null ? '' : `, epsilon ${result.epsilon.toFixed(3)}`
        }${result.samplesPerSecond == null ? '' : `, ${result.samplesPerSecond.toFixed(0)} samples/s`}${
          result.note == null ? '' : ` (${result.note})`
        }`,
      );
      bar?.update({
        status:
          result.status === 'ok'
            ? `accuracy ${result.accuracy?.toFixed(2)}%`
            : `${result.status}: ${result.note}`,
      });
      bar?.stop();
      bar = undefined;
      overall.increment();
      finished.push(result);
      // Written after every row: a long run interrupted still leaves the rows it finished.
      await writeReport(reportOf(finished), options.out);
    },
  });
  bars.stop();
  const report = reportOf(finished);
  const written = await writeReport(report, options.out);
  console.error(`wrote ${written.json}, ${written.markdown}, ${written.plots.length} plots`);
  return report;
}

/**
 * Default output directory: `apps/bench/runs`, which git ignores, so that a run never overwrites the committed
 * results in `apps/bench/results` unless asked to with `--out results`.
 */
export const DEFAULT_RESULTS_DIRECTORY = join(import.meta.dirname, '..', '..', 'runs');
