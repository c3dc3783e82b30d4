/**
 * The table of training modes: for each mode, the strategy it fits, the update rule, how it samples its
 * batches and how it is accounted. The engine reads every mode-dependent decision from this table, so adding a
 * mode is adding one row (and, for a new kind of strategy, sampling or accounting, the code that builds it).
 */
import type { Strategy } from '@cnm/core';
import type { ParticipationPattern } from '@cnm/sampler';
import { DpAdamBc, type DpAdamBcOptions } from './dp-adam-bc';
import { DpSgd, type DpSgdOptions } from './dp-sgd';

/**
 * The training modes of the original correlated-noise library (CNM, for PyTorch/Opacus), by their
 * original names.
 */
export type ModeName =
  | 'DP-SGD-BASE'
  | 'DP-SGD-AMPLIFIED'
  | 'BLT'
  | 'Multi-Epoch-BLT'
  | 'Single Parameter'
  | 'BLT-Adam'
  | 'Multi-Epoch-BLT-Adam'
  | 'Amplified-BandMF'
  | 'Amplified-BandMF-Adam';

/** Which kind of strategy matrix C a mode uses. */
export type ModeStrategyKind = 'identity' | 'blt' | 'single-parameter' | 'banded';

/**
 * How a mode's privacy is accounted: the one vocabulary of the engine, its mechanism and its report.
 * - `'poisson-subsampled-gaussian'`: `steps` Poisson-subsampled Gaussian mechanisms (PLD or RDP), which needs
 *   real Poisson sampling; the noise has the per-step sensitivity 1.
 * - `'gaussian'`: one Gaussian mechanism for the whole run, of sensitivity sens(C) under the participation the
 *   sampler really produces (for the identity C, `steps` Gaussian mechanisms composed without amplification).
 * - `'amplified-banded'`: amplified banded MF (a `bands`-banded C of unit column norm with cyclic Poisson
 *   sampling): ceil(steps / bands) Poisson-subsampled Gaussian mechanisms of rate p = batchSize · bands / N.
 */
export type ModeAccounting = 'poisson-subsampled-gaussian' | 'gaussian' | 'amplified-banded';

/**
 * The batch sampler the engine builds for a mode: Poisson sampling, fixed batches in a cyclic order, or cyclic
 * Poisson sampling (fixed groups visited in turn, Poisson sampling within the active group).
 */
export type ModeSampling = 'poisson' | 'cyclic' | 'cyclicPoisson';

/** The participation kind a batch sampler of `@cnm/sampler` declares (`sampler.participation.kind`). */
export type SamplerKind = ParticipationPattern['kind'];

/** One row of the mode table. */
export interface ModeDescription {
  /** The mode's original name. */
  readonly name: ModeName;
  /** Kind of strategy matrix C. */
  readonly strategy: ModeStrategyKind;
  /** Which optimizer applies the noisy gradients. */
  readonly optimizer: 'dp-sgd' | 'dp-adam-bc';
  /**
   * The participation the strategy is fitted (or chosen) for by default: `'none'` for the identity, `'single'`
   * for one participation in the whole run (a streaming BLT), `'min-separation'` for one participation per
   * epoch (minimum separation = steps per epoch, at most `epochs` participations; such a mode refuses a
   * streaming fit), `'banded'` for a banded Toeplitz C fitted for the run's steps (unit column norm).
   */
  readonly fittedFor: 'none' | 'single' | 'min-separation' | 'banded';
  /** The sampler the engine builds for the mode. */
  readonly sampling: ModeSampling;
  /**
   * The participation kinds of the samplers the mode's accounting holds for, when the caller gives one (the
   * first is that of {@link ModeDescription.sampling}).
   */
  readonly samplers: readonly SamplerKind[];
  /** How privacy is accounted. */
  readonly accounting: ModeAccounting;
  /**
   * The `sensitivity` the noise must use: `'one'` (per-step sensitivity, composition done by the
   * accountant) or `'participation'` (sensitivity of C under the real participation pattern: every epoch
   * after the first is another participation, also for a C fitted for a single one).
   */
  readonly sensitivity: 'one' | 'participation';
  /** One-sentence summary. */
  readonly summary: string;
}

/** The modes, one row each. */
export const MODES: Readonly<Record<ModeName, ModeDescription>> = Object.freeze({
  'DP-SGD-BASE': {
    name: 'DP-SGD-BASE',
    strategy: 'identity',
    optimizer: 'dp-sgd',
    fittedFor: 'none',
    sampling: 'cyclic',
    // Its accounting needs only at most one participation per epoch, which shuffling also guarantees.
    samplers: ['cyclic', 'shuffle', 'ballsInBins'],
    accounting: 'gaussian',
    sensitivity: 'one',
    summary:
      'DP-SGD with independent noise, accounted as a composition of Gaussian mechanisms without amplification.',
  },
  'DP-SGD-AMPLIFIED': {
    name: 'DP-SGD-AMPLIFIED',
    strategy: 'identity',
    optimizer: 'dp-sgd',
    fittedFor: 'none',
    sampling: 'poisson',
    samplers: ['poisson'],
    accounting: 'poisson-subsampled-gaussian',
    sensitivity: 'one',
    summary:
      'DP-SGD with independent noise and Poisson sampling, accounted with amplification by subsampling.',
  },
  BLT: {
    name: 'BLT',
    strategy: 'blt',
    optimizer: 'dp-sgd',
    fittedFor: 'single',
    sampling: 'cyclic',
    samplers: ['cyclic'],
    accounting: 'gaussian',
    sensitivity: 'participation',
    summary: 'SGD with BLT-correlated noise, the BLT fitted for a single participation (streaming).',
  },
  'Multi-Epoch-BLT': {
    name: 'Multi-Epoch-BLT',
    strategy: 'blt',
    optimizer: 'dp-sgd',
    fittedFor: 'min-separation',
    sampling: 'cyclic',
    samplers: ['cyclic'],
    accounting: 'gaussian',
    sensitivity: 'participation',
    summary:
      'SGD with BLT-correlated noise, the BLT fitted for one participation per epoch (min-separation).',
  },
  'Single Parameter': {
    name: 'Single Parameter',
    strategy: 'single-parameter',
    optimizer: 'dp-sgd',
    fittedFor: 'single',
    sampling: 'cyclic',
    samplers: ['cyclic'],
    accounting: 'gaussian',
    sensitivity: 'participation',
    summary: 'SGD with noise z_t - gamma z_{t-1} (C^-1 = LTToep(1, -gamma)).',
  },
  'BLT-Adam': {
    name: 'BLT-Adam',
    strategy: 'blt',
    optimizer: 'dp-adam-bc',
    fittedFor: 'single',
    sampling: 'cyclic',
    samplers: ['cyclic'],
    accounting: 'gaussian',
    sensitivity: 'participation',
    summary: 'DP-AdamBC with BLT-correlated noise, the BLT fitted for a single participation.',
  },
  'Multi-Epoch-BLT-Adam': {
    name: 'Multi-Epoch-BLT-Adam',
    strategy: 'blt',
    optimizer: 'dp-adam-bc',
    fittedFor: 'min-separation',
    sampling: 'cyclic',
    samplers: ['cyclic'],
    accounting: 'gaussian',
    sensitivity: 'participation',
    summary: 'DP-AdamBC with BLT-correlated noise, the BLT fitted for one participation per epoch.',
  },
  'Amplified-BandMF': {
    name: 'Amplified-BandMF',
    strategy: 'banded',
    optimizer: 'dp-sgd',
    fittedFor: 'banded',
    sampling: 'cyclicPoisson',
    samplers: ['cyclicPoisson'],
    accounting: 'amplified-banded',
    sensitivity: 'one',
    summary:
      'SGD with banded correlated noise and cyclic Poisson sampling (amplified banded MF); one band is DP-SGD.',
  },
  'Amplified-BandMF-Adam': {
    name: 'Amplified-BandMF-Adam',
    strategy: 'banded',
    optimizer: 'dp-adam-bc',
    fittedFor: 'banded',
    sampling: 'cyclicPoisson',
    samplers: ['cyclicPoisson'],
    accounting: 'amplified-banded',
    sensitivity: 'one',
    summary: 'DP-AdamBC with banded correlated noise and cyclic Poisson sampling (amplified banded MF).',
  },
});

/** The mode names, in the order of the original library's documentation. */
export const MODE_NAMES: readonly ModeName[] = Object.freeze(Object.keys(MODES) as ModeName[]);

/** Looks a mode up by name; a `RangeError` lists the valid names. */
export function describeMode(name: string): ModeDescription {
  if (typeof name !== 'string' || !Object.hasOwn(MODES, name)) {
    throw new RangeError(
      `mode must be one of ${MODE_NAMES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return MODES[name as ModeName];
}

/** The names of the modes whose row satisfies `predicate`, quoted and joined for an error message. */
export function modesWhere(predicate: (mode: ModeDescription) => boolean): string {
  return MODE_NAMES.filter((name) => predicate(MODES[name]))
    .map((name) => `'${name}'`)
    .join(' or ');
}

/** The strategy kind of a @cnm/core strategy, read from its name. */
export function strategyKindOf(strategy: Strategy): ModeStrategyKind | 'other' {
  const name = strategy.name;
  if (name === 'identity') return 'identity';
  if (name.startsWith('blt(')) return 'blt';
  if (name.startsWith('single-parameter(')) return 'single-parameter';
  if (name.startsWith('banded-toeplitz(')) return 'banded';
  return 'other';
}

/** Options of {@link createModeOptimizer}: those of both optimizers (each uses its own). */
export type ModeOptimizerOptions = DpSgdOptions & DpAdamBcOptions;

/**
 * Builds the optimizer of a mode after checking that the noise strategy is of the mode's kind and that
 * DP-SGD modes use the per-step sensitivity 1.
 */
export function createModeOptimizer(name: ModeName, options: ModeOptimizerOptions): DpSgd | DpAdamBc {
  const mode = describeMode(name);
  const kind = strategyKindOf(options.noise.strategy);
  if (kind !== mode.strategy) {
    throw new RangeError(
      `mode '${name}' needs a ${mode.strategy} strategy, got '${options.noise.strategy.name}'`,
    );
  }
  if (mode.sensitivity === 'one' && options.noise.sensitivity !== 1) {
    throw new RangeError(
      `mode '${name}' accounts each step separately: noise.sensitivity must be 1, got ${options.noise.sensitivity}`,
    );
  }
  return mode.optimizer === 'dp-sgd' ? new DpSgd(options) : new DpAdamBc(options);
}
