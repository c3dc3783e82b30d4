/**
 * The one builder of a mode's noise mechanism: the strategy matrix C its row asks for (fitting the BLT for the
 * participation it is fitted for) and the sensitivities under the participation the sampler really produces.
 */
import {
  bltStrategy,
  type FitBandMfResult,
  type FitBltOptions,
  type FitBltResult,
  fitBandMf,
  fitBlt,
  identityStrategy,
  type Participation,
  resolveParticipation,
  type Strategy,
  sensitivity,
  singleParameterStrategy,
} from '@cnm/core';
import { describeMode, type ModeDescription, type ModeName } from './modes';
import { assertInteger } from './validate';

/** Options of {@link modeMechanism}. */
export interface ModeMechanismOptions {
  /** Total number of training steps n (all epochs). */
  readonly steps: number;
  /**
   * The participation pattern the batch sampler really guarantees over the whole run (not the one a
   * strategy was fitted for): e.g. `{ kind: 'cyclic', minSeparation: stepsPerEpoch }` for a fixed batch
   * order, `'single'` for one pass. The sensitivity is computed for it. Unused by the Poisson-subsampled
   * accounting, which composes per-step mechanisms.
   */
  readonly participation: Participation;
  /**
   * The participation a BLT is fitted for. Default from the mode's row: `'single'` for a streaming fit, the
   * real `participation` for a min-separation fit.
   */
  readonly fittedFor?: Participation;
  /** The gamma of `'Single Parameter'`, in [0, 1). */
  readonly gamma?: number;
  /** Extra options of the BLT fit (buffers, error kind, iteration limits) for the BLT modes. */
  readonly fit?: Omit<FitBltOptions, 'steps' | 'minSeparation' | 'maxParticipations'>;
  /** Number of bands of the banded modes (integer in [1, steps]); the sampler must use as many groups. */
  readonly bands?: number;
  /** Heavy-ball momentum of the workload the banded strategy is fitted for, in [0, 1) (default 0). */
  readonly momentum?: number;
}

/** The noise mechanism of a mode: the strategy, its sensitivities and the participation they cover. */
export interface ModeMechanism {
  /** The mode's row (its `accounting` says how the mechanism is accounted). */
  readonly mode: ModeDescription;
  /** The strategy matrix C (the identity for the DP-SGD modes). */
  readonly strategy: Strategy;
  /** The BLT fit, for the BLT modes. */
  readonly fit?: FitBltResult;
  /** The banded fit (band, RMSE), for the banded modes. */
  readonly bandFit?: FitBandMfResult;
  /** What the BLT was fitted for, for the BLT modes. */
  readonly fittedFor?: Participation;
  /**
   * The participation the sensitivity covers: the real one for the Gaussian accounting, `'single'` (one step)
   * for the Poisson-subsampled accounting.
   */
  readonly realParticipation: Participation;
  /** sens(C) under {@link ModeMechanism.realParticipation} over the whole run (clip norm 1). */
  readonly sensitivity: number;
  /**
   * The sensitivity to give the noise: 1 for the modes accounted per step (`sensitivity: 'one'`, their
   * accountant composes the steps), otherwise {@link ModeMechanism.sensitivity}.
   */
  readonly noiseSensitivity: number;
}

/**
 * Builds the strategy of a mode and the sensitivities its noise and its accounting need, as the mode's row says:
 * the identity, the single-parameter strategy of `gamma`, or a BLT fitted with `fitBlt` of `@cnm/core` for one
 * participation or for a min-separation. The sensitivity always covers the real `participation`, so a streaming
 * BLT trained for several epochs is charged for every participation.
 */
export function modeMechanism(name: ModeName, options: ModeMechanismOptions): ModeMechanism {
  const mode = describeMode(name);
  if (options === null || typeof options !== 'object')
    throw new TypeError('options must be ModeMechanismOptions');
  const { steps, participation } = options;
  assertInteger('steps', steps, 1);
  if (mode.accounting === 'poisson-subsampled-gaussian') {
    // Each step is its own subsampled mechanism of sensitivity 1: the accountant composes them.
    return {
      mode,
      strategy: identityStrategy(),
      realParticipation: 'single',
      sensitivity: 1,
      noiseSensitivity: 1,
    };
  }
  if (mode.accounting === 'amplified-banded') {
    // A b-banded C of unit column norm: each participation (a multiple of b steps apart) meets a disjoint block
    // of rows, so the noise has sensitivity 1 and the accountant composes ceil(steps / b) subsampled steps.
    if (options.bands === undefined)
      throw new RangeError(`mode '${name}' needs bands (integer in [1, ${steps}])`);
    const bandFit = fitBandMf({
      steps,
      bands: options.bands,
      ...(options.momentum === undefined ? {} : { momentum: options.momentum }),
    });
    return {
      mode,
      strategy: bandFit.strategy,
      bandFit,
      realParticipation: 'single',
      sensitivity: 1,
      noiseSensitivity: 1,
    };
  }
  resolveParticipation(participation, steps);
  let strategy: Strategy;
  let fit: FitBltResult | undefined;
  let fittedFor: Participation | undefined;
  switch (mode.strategy) {
    case 'identity':
      strategy = identityStrategy();
      break;
    case 'single-parameter':
      if (options.gamma === undefined) throw new RangeError(`mode '${name}' needs gamma in [0, 1)`);
      strategy = singleParameterStrategy(options.gamma);
      break;
    case 'banded':
      throw new RangeError(`mode '${name}': a banded strategy is accounted with amplification only`);
    case 'blt': {
      fittedFor = options.fittedFor ?? (mode.fittedFor === 'single' ? 'single' : participation);
      fit = fitBlt({ ...options.fit, steps, ...fitPattern(fittedFor, steps) });
      strategy = bltStrategy(fit.blt);
      break;
    }
  }
  const runSensitivity = sensitivity(strategy.coefficients(steps), participation);
  return {
    mode,
    strategy,
    ...(fit === undefined ? {} : { fit }),
    ...(fittedFor === undefined ? {} : { fittedFor }),
    realParticipation: participation,
    sensitivity: runSensitivity,
    noiseSensitivity: mode.sensitivity === 'one' ? 1 : runSensitivity,
  };
}

/** The min-separation a BLT is fitted for: none for a single participation, else (b, k_eff). */
function fitPattern(
  participation: Participation,
  steps: number,
): { minSeparation?: number; maxParticipations?: number } {
  if (participation === 'single') return {};
  const resolved = resolveParticipation(participation, steps);
  return { minSeparation: resolved.minSeparation, maxParticipations: resolved.effectiveParticipations };
}
