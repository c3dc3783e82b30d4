import type { ModeName } from '@cnm/optim';

/** The names of the table's rows, as the original library's README writes them. */
export type RowName =
  | 'BLT (Multi Epoch)'
  | 'BLT (Streaming)'
  | 'DP-SGD'
  | 'CNM-AdamBC (Multi Epoch)'
  | 'CNM-AdamBC (Streaming)'
  | 'Non Private'
  | 'Non Private (Adam)'
  | 'BandMF (Amplified)'
  | 'BandMF-AdamBC (Amplified)'
  | 'DP-Adam'
  | 'DP-SGD (no noise)';

/**
 * How examples take part in training:
 * - `'minSep'`: once per epoch in a fixed cyclic order (the BLT fitted for that pattern);
 * - `'streaming'`: the BLT fitted for one participation, trained over several epochs (its sensitivity is then
 *   computed for the participations that really happen);
 * - `'poisson'`: Poisson-sampled batches (amplification by subsampling);
 * - `'shuffle'`: one shuffled pass per epoch (non-private rows);
 * - `'cyclicPoisson'`: cyclic Poisson sampling of amplified banded MF (fixed groups, Poisson within the group).
 */
export type RowParticipation = 'minSep' | 'streaming' | 'poisson' | 'shuffle' | 'cyclicPoisson';

/** One row of the benchmark table. */
export interface BenchRow {
  /** The row's name in the table. */
  readonly name: RowName;
  /** Short name for the command line (`--rows blt-me,dp-sgd`). */
  readonly id: string;
  /** Whether the row trains with differential privacy. */
  readonly private: boolean;
  /** The @cnm/optim mode (the original library's name) or `'non-private'`. */
  readonly mode: ModeName | 'non-private';
  /** Participation pattern. */
  readonly participation: RowParticipation;
  /** Update rule. */
  readonly optimizer: 'sgd' | 'adam';
  /** Learning rate: 1 for SGD, 1e-2 for Adam, as in the original setup. */
  readonly learningRate: number;
  /** Bands of the amplified banded MF rows (the engine's `'auto'` when absent); 1 is independent noise. */
  readonly bands?: number;
  /**
   * A fixed noise multiplier instead of the one calibrated to the target ε. 0 trains with clipping and sampling
   * but no noise (ε = ∞): a control that measures how much accuracy the noise costs, and so bounds what any
   * noise-reducing mechanism can gain.
   */
  readonly noiseMultiplier?: number;
  /** A control row: run only when named in `--rows`, never part of the default table. */
  readonly control?: true;
  /** Where this row departs from the original hyperparameters, and why (checked by running it). */
  readonly deviation?: string;
  /** The original library's result (its README: PyTorch + Opacus, 50 epochs); null for rows it does not have. */
  readonly original: { readonly epsilon: number | null; readonly accuracy: number } | null;
}

/** Target epsilon of every private row. */
export const TARGET_EPSILON = 8;
/** Batch size of every row. */
export const BATCH_SIZE = 1024;
/** Per-example clip norm of every private row. */
export const CLIP_NORM = 1;
/** Learning rate of the SGD rows. */
export const SGD_LEARNING_RATE = 1;
/** Learning rate of the non-private SGD row: lr 1 does not train without clipping (see its `deviation`). */
export const NON_PRIVATE_SGD_LEARNING_RATE = 0.1;
/** Learning rate of the Adam rows. */
export const ADAM_LEARNING_RATE = 1e-2;

/** The rows, in the original table's order (CNM-AdamBC rows are in its later version). */
export const ROWS: readonly BenchRow[] = Object.freeze([
  {
    name: 'BLT (Multi Epoch)',
    id: 'blt-multi-epoch',
    private: true,
    mode: 'Multi-Epoch-BLT',
    participation: 'minSep',
    optimizer: 'sgd',
    learningRate: SGD_LEARNING_RATE,
    original: { epsilon: 8, accuracy: 82.4758 },
  },
  {
    name: 'BLT (Streaming)',
    id: 'blt-streaming',
    private: true,
    mode: 'BLT',
    participation: 'streaming',
    optimizer: 'sgd',
    learningRate: SGD_LEARNING_RATE,
    original: { epsilon: 8, accuracy: 76.374 },
  },
  {
    name: 'DP-SGD',
    id: 'dp-sgd',
    private: true,
    mode: 'DP-SGD-AMPLIFIED',
    participation: 'poisson',
    optimizer: 'sgd',
    learningRate: SGD_LEARNING_RATE,
    original: { epsilon: 8, accuracy: 82.009 },
  },
  {
    name: 'CNM-AdamBC (Multi Epoch)',
    id: 'adambc-multi-epoch',
    private: true,
    mode: 'Multi-Epoch-BLT-Adam',
    participation: 'minSep',
    optimizer: 'adam',
    learningRate: ADAM_LEARNING_RATE,
    original: { epsilon: 8, accuracy: 83.7265 },
  },
  {
    name: 'CNM-AdamBC (Streaming)',
    id: 'adambc-streaming',
    private: true,
    mode: 'BLT-Adam',
    participation: 'streaming',
    optimizer: 'adam',
    learningRate: ADAM_LEARNING_RATE,
    original: { epsilon: 8, accuracy: 79.2377 },
  },
  {
    name: 'Non Private',
    id: 'non-private',
    private: false,
    mode: 'non-private',
    participation: 'shuffle',
    optimizer: 'sgd',
    learningRate: NON_PRIVATE_SGD_LEARNING_RATE,
    deviation:
      'SGD at lr 1 (and 0.5) without clipping collapses (all ReLUs dead after the first steps, loss back to ln 10, 10-15% accuracy; checked with the CNN on wasm, seeds 0 and 1): lr 0.1 used',
    original: { epsilon: null, accuracy: 87.8557 },
  },
  {
    name: 'Non Private (Adam)',
    id: 'non-private-adam',
    private: false,
    mode: 'non-private',
    participation: 'shuffle',
    optimizer: 'adam',
    learningRate: ADAM_LEARNING_RATE,
    original: { epsilon: null, accuracy: 89.3236 },
  },
  {
    name: 'BandMF (Amplified)',
    id: 'bandmf',
    private: true,
    mode: 'Amplified-BandMF',
    participation: 'cyclicPoisson',
    optimizer: 'sgd',
    learningRate: SGD_LEARNING_RATE,
    original: null,
  },
  {
    name: 'BandMF-AdamBC (Amplified)',
    id: 'bandmf-adambc',
    private: true,
    mode: 'Amplified-BandMF-Adam',
    participation: 'cyclicPoisson',
    optimizer: 'adam',
    learningRate: ADAM_LEARNING_RATE,
    original: null,
  },
  {
    // One band: independent noise with Poisson sampling and the bias-corrected Adam, the baseline that tells
    // whether the AdamBC rows gain from the correlated noise or from Adam.
    name: 'DP-Adam',
    id: 'dp-adam',
    private: true,
    mode: 'Amplified-BandMF-Adam',
    participation: 'cyclicPoisson',
    optimizer: 'adam',
    learningRate: ADAM_LEARNING_RATE,
    bands: 1,
    original: null,
  },
  {
    // DP-SGD's clipping and Poisson sampling without its noise: the accuracy DP-SGD would reach if the noise
    // cost nothing, so (this row − DP-SGD) bounds what lower noise (correlated or not) can gain.
    name: 'DP-SGD (no noise)',
    id: 'dp-sgd-no-noise',
    private: true,
    mode: 'DP-SGD-AMPLIFIED',
    participation: 'poisson',
    optimizer: 'sgd',
    learningRate: SGD_LEARNING_RATE,
    noiseMultiplier: 0,
    control: true,
    original: null,
  },
] satisfies BenchRow[]);

/** A benchmark profile: how long each row trains. */
export interface Profile {
  /** Profile name. */
  readonly name: 'quick' | 'full';
  /** Epochs per row. */
  readonly epochs: number;
  /** Training examples used (the first ones of the training set); `undefined` = all 60,000. */
  readonly trainExamples?: number;
  /** What the profile is for. */
  readonly description: string;
  /**
   * DP-AdamBC second-moment floor of the private Adam rows; the engine default (1e-8) when absent. At the
   * noise of the 50-epoch schedule the default floor lets the corrected second moment reach 1e-8 where the
   * noise explains all of it, and the rows diverge (see docs/BENCHMARKS.md).
   */
  readonly adamVarianceFloor?: number;
}

/** The profiles: `full` reproduces the original setup, `quick` takes about 7 minutes on a 2-core machine. */
export const PROFILES: Readonly<Record<Profile['name'], Profile>> = Object.freeze({
  full: {
    name: 'full',
    epochs: 50,
    description: 'the original setup: 50 epochs on all 60,000 examples',
    adamVarianceFloor: 1e-5,
  },
  quick: {
    name: 'quick',
    epochs: 2,
    description:
      '2 epochs on all 60,000 examples, privacy calibrated to epsilon = 8 for this 2-epoch schedule (about 7 minutes on 2 cores)',
  },
});

/** `delta = N^-1.1` for `N` training examples, the original setup. */
export function deltaFor(trainExamples: number): number {
  if (!Number.isInteger(trainExamples) || trainExamples < 2) {
    throw new RangeError(`trainExamples must be an integer >= 2, got ${trainExamples}`);
  }
  return trainExamples ** -1.1;
}

/** Steps per epoch: one per full batch of `batchSize` (a partial last batch is dropped, as with cyclic rows). */
export function stepsPerEpoch(trainExamples: number, batchSize = BATCH_SIZE): number {
  const steps = Math.floor(trainExamples / batchSize);
  if (steps < 1)
    throw new RangeError(`batchSize ${batchSize} exceeds the ${trainExamples} training examples`);
  return steps;
}

/** Looks a profile up by name; a `RangeError` lists the valid ones. */
export function profileByName(name: string): Profile {
  if (!Object.hasOwn(PROFILES, name)) {
    throw new RangeError(`profile must be one of ${Object.keys(PROFILES).join(', ')}, got '${name}'`);
  }
  return PROFILES[name as Profile['name']];
}

/**
 * The rows to run, in table order, from ids or full names (case-insensitive); all rows when `selection` is
 * empty or undefined. A `RangeError` lists the valid ids for an unknown one.
 */
export function selectRows(selection?: readonly string[]): BenchRow[] {
  if (selection == null || selection.length === 0) return ROWS.filter((r) => r.control !== true);
  const wanted = new Set<BenchRow>();
  for (const raw of selection) {
    const key = raw.trim().toLowerCase();
    const row = ROWS.find((r) => r.id === key || r.name.toLowerCase() === key);
    if (row == null) {
      throw new RangeError(`unknown row '${raw}'; rows are: ${ROWS.map((r) => r.id).join(', ')}`);
    }
    wanted.add(row);
  }
  return ROWS.filter((r) => wanted.has(r));
}
