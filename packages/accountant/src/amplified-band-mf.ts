/**
 * Amplified banded matrix factorisation (Choquette-Choo, Ganesh, McKenna, McMahan, Rush, Thakurta, Xu 2023,
 * arXiv 2306.08153, and jax_privacy's `amplified_bandmf_event`). With a `bands`-banded strategy C of unit column
 * norm and cyclic Poisson sampling (the data split once into `bands` groups; step t includes each example of group
 * t mod bands with probability p), the participations of one example are a multiple of `bands` steps apart, so they
 * touch disjoint row blocks of C: the run is as private as DP-SGD with Poisson rate p and noise multiplier σ over
 * ceil(steps / bands) steps. One band is DP-SGD itself.
 */

import type { DpSgdAccountant } from './compute';
import {
  type CalibrateNoiseMultiplierOptions,
  calibrateNoiseMultiplier,
  computeEpsilon,
  MAX_STEPS,
} from './compute';
import { GaussianEvent, PoissonSampledEvent, SelfComposedEvent } from './events';
import { assertInteger } from './validate';

/** The run an amplified banded MF event describes. */
export interface AmplifiedBandMfRun {
  /** Noise multiplier σ of the Gaussian noise before C⁻¹ (per unit of clip norm), in `(0, Infinity)`. */
  readonly noiseMultiplier: number;
  /** Inclusion probability p of each example of the active group, in `(0, 1]`. */
  readonly sampleRate: number;
  /** Number of training steps n, an integer in `[1, 1e9]`. */
  readonly steps: number;
  /** Number of bands b of C (= groups of the sampler), an integer in `[1, steps]`. */
  readonly bands: number;
}

/** Number of compositions ceil(steps / bands) of the amplified banded MF event (after validating both). */
export function amplifiedBandMfCompositions(steps: number, bands: number): number {
  assertInteger('steps', steps, 1, MAX_STEPS);
  assertInteger('bands', bands, 1, steps);
  return Math.ceil(steps / bands);
}

/**
 * The privacy event of amplified banded MF: `SelfComposed(PoissonSampled(p, Gaussian(σ)), ceil(steps / bands))`.
 * Compose it into any accountant (PLD for the tightest ε, RDP for speed).
 */
export function amplifiedBandMfEvent(run: AmplifiedBandMfRun): SelfComposedEvent {
  if (run === null || typeof run !== 'object') throw new TypeError('run must be an object');
  const count = amplifiedBandMfCompositions(run.steps, run.bands);
  return new SelfComposedEvent(
    new PoissonSampledEvent(run.sampleRate, new GaussianEvent(run.noiseMultiplier)),
    count,
  );
}

/** Options of {@link amplifiedBandMfEpsilon}. */
export interface AmplifiedBandMfEpsilonOptions extends AmplifiedBandMfRun {
  /** Target delta, in `(0, 1)`. */
  readonly delta: number;
  /** Accounting method; default `'pld'` (the tightest), `'rdp'` on request. */
  readonly accountant?: DpSgdAccountant;
}

/** ε of amplified banded MF at `delta`: DP-SGD's ε over ceil(steps / bands) Poisson-sampled Gaussian steps. */
export function amplifiedBandMfEpsilon(options: AmplifiedBandMfEpsilonOptions): number {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { noiseMultiplier, sampleRate, delta, accountant } = options;
  const steps = amplifiedBandMfCompositions(options.steps, options.bands);
  return computeEpsilon({ noiseMultiplier, sampleRate, steps, delta, ...(accountant ? { accountant } : {}) });
}

/** Options of {@link calibrateAmplifiedBandMf}. */
export interface CalibrateAmplifiedBandMfOptions extends Omit<CalibrateNoiseMultiplierOptions, 'steps'> {
  /** Number of training steps n, an integer in `[1, 1e9]`. */
  readonly steps: number;
  /** Number of bands b, an integer in `[1, steps]`. */
  readonly bands: number;
}

/**
 * Smallest noise multiplier σ (relative tolerance about 1e-4 for PLD, 1e-6 for RDP) at which amplified banded MF is
 * (targetEpsilon, targetDelta)-DP; conservative: the ε at the returned σ never exceeds the target.
 */
export function calibrateAmplifiedBandMf(options: CalibrateAmplifiedBandMfOptions): number {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { targetEpsilon, targetDelta, sampleRate, accountant } = options;
  const steps = amplifiedBandMfCompositions(options.steps, options.bands);
  return calibrateNoiseMultiplier({
    targetEpsilon,
    targetDelta,
    sampleRate,
    steps,
    ...(accountant ? { accountant } : {}),
  });
}
