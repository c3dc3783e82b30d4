import type { ClippedGradientsProvider } from '@cnm/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { FashionMnist } from './data/fashion-mnist';
import { createCnn } from './models/classifiers';
import { type BenchRow, CLIP_NORM, deltaFor, TARGET_EPSILON } from './rows';
import { trainNonPrivate } from './train/non-private';
import type { RowResult, WeightAverageSettings } from './train/result';
import { disposeSplit, type SplitTensors, splitToTensors } from './train/tensors';

/** Trains one private row (provided by the PrivacyEngine adapter); measured like the non-private rows. */
export type PrivateRowRunner = (context: RowContext) => Promise<Omit<RowResult, keyof RowIdentity>>;

/** The parts of a result that come from the row itself. */
type RowIdentity = Pick<
  RowResult,
  'name' | 'id' | 'mode' | 'participation' | 'optimizer' | 'learningRate' | 'original'
>;

/** Everything a row's training needs. */
export interface RowContext {
  /** The row. */
  readonly row: BenchRow;
  /** A freshly initialised model. */
  readonly model: LayersModel;
  /** Training split. */
  readonly train: SplitTensors;
  /** Test split. */
  readonly test: SplitTensors;
  /** Epochs. */
  readonly epochs: number;
  /** Expected batch size. */
  readonly batchSize: number;
  /** Target epsilon of the private rows. */
  readonly targetEpsilon: number;
  /** Delta of the private rows. */
  readonly delta: number;
  /** Per-example clip norm. */
  readonly clipNorm: number;
  /** Seed of the run. */
  readonly seed: number;
  /** The exponential moving average of the weights evaluated beside the last iterate; none when null. */
  readonly weightAverage: WeightAverageSettings | null;
  /** The DP-AdamBC second-moment floor of the private Adam rows; the engine's default when absent. */
  readonly adamVarianceFloor?: number;
  /** A worker pool that computes the clipped gradients (steps then run with `stepAsync`); this thread when absent. */
  readonly clippedGradients?: ClippedGradientsProvider;
  /** Progress after each step. */
  readonly onStep?: (step: number, totalSteps: number, loss: number) => void;
  /** Test accuracy after each epoch. */
  readonly onEpoch?: (epoch: number, accuracy: number) => void;
}

/**
 * The weight average every row evaluates by default: decay 0.999 with the warm-up `(1 + n) / (10 + n)`, the
 * convention of TensorFlow's `ExponentialMovingAverage` and jax_privacy (not tuned on this benchmark).
 */
export const DEFAULT_WEIGHT_AVERAGE: WeightAverageSettings = Object.freeze({ decay: 0.999, warmup: true });

/** Options of {@link runTable}. */
export interface RunTableOptions {
  /** The rows to run, in order. */
  readonly rows: readonly BenchRow[];
  /** The dataset. */
  readonly data: FashionMnist;
  /** Epochs per row. */
  readonly epochs: number;
  /** Batch size; default 1024. */
  readonly batchSize: number;
  /** Use only the first training examples (N is then this number, also in delta). */
  readonly trainExamples?: number;
  /** Seed. */
  readonly seed: number;
  /** The weight average evaluated beside the last iterate (default: decay 0.999 with warm-up); none when null. */
  readonly weightAverage?: WeightAverageSettings | null;
  /** The DP-AdamBC second-moment floor of the private Adam rows; the engine's default when absent. */
  readonly adamVarianceFloor?: number;
  /** Model builder; default the CNN. */
  readonly createModel?: (seed: number) => LayersModel;
  /** Trains private rows; absent until the PrivacyEngine is available (the rows are then 'not-run'). */
  readonly privateRunner?: PrivateRowRunner;
  /** Why private rows cannot run when `privateRunner` is absent. */
  readonly privateUnavailableReason?: string;
  /** Called when a row starts. */
  readonly onRowStart?: (row: BenchRow, totalSteps: number) => void;
  /** Progress after each step of the current row. */
  readonly onStep?: (step: number, totalSteps: number, loss: number) => void;
  /** Called when a row ends. */
  readonly onRowEnd?: (result: RowResult) => void | Promise<void>;
}

function identity(row: BenchRow): RowIdentity {
  return {
    name: row.name,
    id: row.id,
    mode: row.mode,
    participation: row.participation,
    optimizer: row.optimizer,
    learningRate: row.learningRate,
    original: row.original,
  };
}

/** The result of a row that did not train, with why. */
export function notRunResult(
  row: BenchRow,
  epochs: number,
  batchSize: number,
  delta: number,
  note: string,
): RowResult {
  return {
    ...identity(row),
    status: 'not-run',
    note,
    epochs,
    steps: 0,
    batchSize,
    clipNorm: row.private ? CLIP_NORM : null,
    epsilon: null,
    targetEpsilon: row.private ? TARGET_EPSILON : null,
    delta: row.private ? delta : 0,
    accuracy: null,
    accuracyPerEpoch: [],
    noiseMultiplier: null,
    sensitivity: null,
    strategy: null,
    samplesPerSecond: null,
    stepTimeMs: null,
    stepTimeRatioToNonPrivate: null,
    peakMemoryMiB: null,
    trainSeconds: null,
  };
}

/** Runs the rows one after the other on the same data and backend; step-time ratios are filled in later. */
export async function runTable(options: RunTableOptions): Promise<RowResult[]> {
  const train = splitToTensors(options.data.train, options.trainExamples ?? options.data.train.count);
  const test = splitToTensors(options.data.test);
  const delta = deltaFor(train.count);
  const createModel = options.createModel ?? ((seed: number) => createCnn({ seed }));
  const perEpoch = Math.floor(train.count / options.batchSize);
  const results: RowResult[] = [];
  try {
    for (const row of options.rows) {
      if (row.private && options.privateRunner == null) {
        const result = notRunResult(
          row,
          options.epochs,
          options.batchSize,
          delta,
          options.privateUnavailableReason ?? 'the PrivacyEngine is not available in this build',
        );
        results.push(result);
        await options.onRowEnd?.(result);
        continue;
      }
      options.onRowStart?.(row, perEpoch * options.epochs);
      const model = createModel(options.seed);
      try {
        const context: RowContext = {
          row,
          model,
          train,
          test,
          epochs: options.epochs,
          batchSize: options.batchSize,
          targetEpsilon: TARGET_EPSILON,
          delta,
          clipNorm: CLIP_NORM,
          seed: options.seed,
          weightAverage: options.weightAverage === undefined ? DEFAULT_WEIGHT_AVERAGE : options.weightAverage,
          ...(options.adamVarianceFloor == null ? {} : { adamVarianceFloor: options.adamVarianceFloor }),
          ...(options.onStep == null ? {} : { onStep: options.onStep }),
        };
        let result: RowResult;
        if (row.private) {
          result = { ...identity(row), ...(await options.privateRunner!(context)) };
        } else {
          const measured = await trainNonPrivate(context);
          result = {
            ...identity(row),
            status: 'ok',
            ...(row.deviation == null ? {} : { note: row.deviation }),
            epochs: options.epochs,
            steps: measured.steps,
            batchSize: options.batchSize,
            clipNorm: null,
            epsilon: null,
            targetEpsilon: null,
            delta: 0,
            accuracy: measured.accuracyPerEpoch.at(-1) ?? null,
            accuracyPerEpoch: measured.accuracyPerEpoch,
            averagedAccuracy: measured.averagedAccuracyPerEpoch.at(-1) ?? null,
            averagedAccuracyPerEpoch: measured.averagedAccuracyPerEpoch,
            weightAverage: context.weightAverage,
            noiseMultiplier: null,
            sensitivity: null,
            strategy: null,
            samplesPerSecond: measured.samplesPerSecond,
            stepTimeMs: measured.stepTimeMs,
            stepTimeRatioToNonPrivate: null,
            peakMemoryMiB: measured.peakMemoryMiB,
            trainSeconds: measured.trainSeconds,
          };
        }
        results.push(result);
        await options.onRowEnd?.(result);
      } catch (error) {
        const result: RowResult = {
          ...notRunResult(row, options.epochs, options.batchSize, delta, (error as Error).message),
          status: 'failed',
        };
        results.push(result);
        await options.onRowEnd?.(result);
      } finally {
        model.dispose();
      }
    }
  } finally {
    disposeSplit(train);
    disposeSplit(test);
  }
  return results;
}
