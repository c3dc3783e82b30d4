import {
  bltStrategy,
  type FitBltOptions,
  type FitBltResult,
  fitBlt,
  identityStrategy,
  type Participation,
  resolveParticipation,
  type Strategy,
  sensitivity,
  singleParameterStrategy,
} from '@cnm/core';
import { DpAdamBc, type DpAdamBcOptions } from './dp-adam-bc';
import { DpSgd, type DpSgdOptions } from './dp-sgd';
import { assertInteger } from './validate';

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
  | 'Multi-Epoch-BLT-Adam';

/** Which kind of strategy matrix C a mode uses. */
export type ModeStrategyKind = 'identity' | 'blt' | 'single-parameter';

/** How a mode's privacy is accounted (done by the accountant, listed here so that both sides agree). */
export type ModeAccounting =
  /** `steps` Gaussian mechanisms composed, no amplification: valid for any batch sampling. */
  | 'gaussian-composition'
  /** `steps` Poisson-subsampled Gaussian mechanisms (RDP or PLD): needs real Poisson sampling. */
  | 'poisson-subsampled-gaussian'
  /**
   * One Gaussian mechanism of noise multiplier sigma (mu = 1/sigma), with C normalised by its
   * sensitivity under the participation that training really has; no amplification.
   */
  | 'matrix-mechanism';

/** What a mode is made of. */
export interface ModeDescription {
  /** The mode's original name. */
  readonly name: ModeName;
  /** Kind of strategy matrix C. */
  readonly strategy: ModeStrategyKind;
  /** Which optimizer applies the noisy gradients. */
  readonly optimizer: 'dp-sgd' | 'dp-adam-bc';
  /**
   * The participation the strategy is fitted (or chosen) for: `'none'` for the identity, `'single'` for
   * one participation in the whole run (a streaming BLT), `'min-separation'` for one participation per
   * epoch (minimum separation = steps per epoch, at most `epochs` participations).
   */
  readonly fittedFor: 'none' | 'single' | 'min-separation';
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

/** The original library's modes, described. */
export const MODES: Readonly<Record<ModeName, ModeDescription>> = Object.freeze({
  'DP-SGD-BASE': {
    name: 'DP-SGD-BASE',
    strategy: 'identity',
    optimizer: 'dp-sgd',
    fittedFor: 'none',
    accounting: 'gaussian-composition',
    sensitivity: 'one',
    summary:
      'DP-SGD with independent noise, accounted as a composition of Gaussian mechanisms without amplification.',
  },
  'DP-SGD-AMPLIFIED': {
    name: 'DP-SGD-AMPLIFIED',
    strategy: 'identity',
    optimizer: 'dp-sgd',
    fittedFor: 'none',
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
    accounting: 'matrix-mechanism',
    sensitivity: 'participation',
    summary: 'SGD with BLT-correlated noise, the BLT fitted for a single participation (streaming).',
  },
  'Multi-Epoch-BLT': {
    name: 'Multi-Epoch-BLT',
    strategy: 'blt',
    optimizer: 'dp-sgd',
    fittedFor: 'min-separation',
    accounting: 'matrix-mechanism',
    sensitivity: 'participation',
    summary:
      'SGD with BLT-correlated noise, the BLT fitted for one participation per epoch (min-separation).',
  },
  'Single Parameter': {
    name: 'Single Parameter',
    strategy: 'single-parameter',
    optimizer: 'dp-sgd',
    fittedFor: 'single',
    accounting: 'matrix-mechanism',
    sensitivity: 'participation',
    summary: 'SGD with noise z_t - gamma z_{t-1} (C^-1 = LTToep(1, -gamma)).',
  },
  'BLT-Adam': {
    name: 'BLT-Adam',
    strategy: 'blt',
    optimizer: 'dp-adam-bc',
    fittedFor: 'single',
    accounting: 'matrix-mechanism',
    sensitivity: 'participation',
    summary: 'DP-AdamBC with BLT-correlated noise, the BLT fitted for a single participation.',
  },
  'Multi-Epoch-BLT-Adam': {
    name: 'Multi-Epoch-BLT-Adam',
    strategy: 'blt',
    optimizer: 'dp-adam-bc',
    fittedFor: 'min-separation',
    accounting: 'matrix-mechanism',
    sensitivity: 'participation',
    summary: 'DP-AdamBC with BLT-correlated noise, the BLT fitted for one participation per epoch.',
  },
});

/** The mode names, in the order of the original library's documentation. */
export const MODE_NAMES: readonly ModeName[] = Object.freeze(Object.keys(MODES) as ModeName[]);

/** Looks a mode up by name; a `RangeError` lists the valid names. */
export function describeMode(name: string): ModeDescription {
  if (!Object.hasOwn(MODES, name)) {
    throw new RangeError(`mode must be one of ${MODE_NAMES.map((m) => `'${m}'`).join(', ')}, got '${name}'`);
  }
  return MODES[name as ModeName];
}

/** The strategy kind of a @cnm/core strategy, read from its name. */
export function strategyKindOf(strategy: Strategy): ModeStrategyKind | 'other' {
  const name = strategy.name;
  if (name === 'identity') return 'identity';
  if (name.startsWith('blt(')) return 'blt';
  if (name.startsWith('single-parameter(')) return 'single-parameter';
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

/** Options of {@link modeMechanism}. */
export interface ModeMechanismOptions {
  /** Total number of training steps n (all epochs). */
  readonly steps: number;
  /**
   * The participation pattern the batch sampler really guarantees over the whole run (not the one a
   * strategy was fitted for): e.g. `{ kind: 'cyclic', minSeparation: stepsPerEpoch }` for a fixed batch
   * order, `'single'` for one pass. The sensitivity is computed for it.
   */
  readonly participation: Participation;
  /** The gamma of `'Single Parameter'`, in [0, 1). */
  readonly gamma?: number;
  /** Extra options of the BLT fit (buffers, error kind, iteration limits) for the BLT modes. */
  readonly fit?: Omit<FitBltOptions, 'steps' | 'minSeparation' | 'maxParticipations'>;
}

/** The strategy and the sensitivity a mode's noise needs. */
export interface ModeMechanism {
  /** The mode. */
  readonly mode: ModeDescription;
  /** The strategy matrix C. */
  readonly strategy: Strategy;
  /**
   * The sensitivity to give the noise: 1 for the DP-SGD modes (their accountant composes the steps),
   * otherwise sens(C) under `options.participation` (also when C was fitted for a single participation).
   */
  readonly sensitivity: number;
  /** The BLT fit, for the BLT modes. */
  readonly fit?: FitBltResult;
}

/**
 * Builds the strategy of a mode and the sensitivity its noise must use. BLT modes fit a BLT with
 * `fitBlt` of `@cnm/core`: for a single participation (`'BLT'`, `'BLT-Adam'`) or for the
 * min-separation of `options.participation` (`'Multi-Epoch-BLT'`, `'Multi-Epoch-BLT-Adam'`). The
 * sensitivity always covers `options.participation`, so a streaming BLT trained for several epochs is
 * charged for every participation.
 */
export function modeMechanism(name: ModeName, options: ModeMechanismOptions): ModeMechanism {
  const mode = describeMode(name);
  if (options === null || typeof options !== 'object')
    throw new TypeError('options must be ModeMechanismOptions');
  const { steps, participation } = options;
  assertInteger('steps', steps, 1);
  const resolved = resolveParticipation(participation, steps);
  if (mode.strategy === 'identity') {
    return { mode, strategy: identityStrategy(), sensitivity: 1 };
  }
  if (mode.strategy === 'single-parameter') {
    if (options.gamma === undefined) throw new RangeError(`mode '${name}' needs gamma in [0, 1)`);
    const strategy = singleParameterStrategy(options.gamma);
    return { mode, strategy, sensitivity: sensitivity(strategy.coefficients(steps), participation) };
  }
  const fitted =
    mode.fittedFor === 'single'
      ? fitBlt({ ...options.fit, steps })
      : fitBlt({
          ...options.fit,
          steps,
          minSeparation: resolved.minSeparation,
          maxParticipations: resolved.effectiveParticipations,
        });
  const strategy = bltStrategy(fitted.blt);
  return {
    mode,
    strategy,
    sensitivity: sensitivity(fitted.blt.coefficients(steps), participation),
    fit: fitted,
  };
}
