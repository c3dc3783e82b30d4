import type { BenchRow } from '../rows';

/** Settings of the exponential moving average of the weights that a row evaluates besides the last iterate. */
export interface WeightAverageSettings {
  /** Largest decay. */
  readonly decay: number;
  /** Whether the decay warms up as `(1 + n) / (10 + n)`. */
  readonly warmup: boolean;
}

/** What one row of the table measured. Numbers that do not apply, or were not measured, are `null`. */
export interface RowResult {
  /** The row's name in the table. */
  readonly name: BenchRow['name'];
  /** The row's command-line id. */
  readonly id: string;
  /** `'ok'` when trained; `'not-run'` with a `note` saying why otherwise. */
  readonly status: 'ok' | 'not-run' | 'failed';
  /** Why the row was not run, or what differs from the original setup. */
  readonly note?: string;
  /** The @cnm/optim mode or `'non-private'`. */
  readonly mode: BenchRow['mode'];
  /** Participation pattern. */
  readonly participation: BenchRow['participation'];
  /** Update rule. */
  readonly optimizer: BenchRow['optimizer'];
  /** Learning rate used. */
  readonly learningRate: number;
  /** Epochs trained. */
  readonly epochs: number;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** Expected (logical) batch size. */
  readonly batchSize: number;
  /** Per-example clip norm (null for non-private rows). */
  readonly clipNorm: number | null;
  /** Epsilon actually spent, from the engine's accountant; `null` = infinite (non-private) or not run. */
  readonly epsilon: number | null;
  /** The epsilon the noise was calibrated for (null for non-private rows). */
  readonly targetEpsilon: number | null;
  /** Delta of the guarantee (0 for non-private rows). */
  readonly delta: number;
  /** Final test accuracy, percent. */
  readonly accuracy: number | null;
  /** Test accuracy after each epoch, percent. */
  readonly accuracyPerEpoch: number[];
  /**
   * Final test accuracy of the exponential moving average of the weights, percent (post-processing of the
   * trained iterates: no privacy cost); absent in reports written before it was measured.
   */
  readonly averagedAccuracy?: number | null;
  /** Test accuracy of the weight average after each epoch, percent. */
  readonly averagedAccuracyPerEpoch?: number[];
  /** The weight average evaluated (decay and warm-up), or null when none was. */
  readonly weightAverage?: WeightAverageSettings | null;
  /** Noise multiplier sigma (null for non-private rows). */
  readonly noiseMultiplier: number | null;
  /** Sensitivity of the strategy under the real participation (null for non-private rows). */
  readonly sensitivity: number | null;
  /** Strategy parameters (BLT buffers, decays, ...), null when there is no correlated noise. */
  readonly strategy: Record<string, unknown> | null;
  /** Training examples processed per second (evaluation excluded). */
  readonly samplesPerSecond: number | null;
  /** Mean wall time of one optimizer step, ms. */
  readonly stepTimeMs: number | null;
  /** `stepTimeMs` over that of the 'Non Private' row of the same run (same backend); null without it. */
  readonly stepTimeRatioToNonPrivate: number | null;
  /** Peak resident set size of the process while this row trained, MiB (the wasm heap never shrinks). */
  readonly peakMemoryMiB: number | null;
  /** Wall time of the training, seconds (evaluation excluded). */
  readonly trainSeconds: number | null;
  /** The original library's result for this row. */
  readonly original: BenchRow['original'];
}
