/**
 * Which accounting each run gets, tied to what the engine's sampler really does (the mode table of `@cnm/optim`
 * says which sampler and accounting each mode has):
 * - Poisson sampling: Poisson-subsampled Gaussian steps (PLD, or RDP on request);
 * - fixed batches (the cyclic sampler: each example once per epoch, participations exactly `stepsPerEpoch`
 *   apart): one Gaussian mechanism for the whole run, whose sensitivity is that of the strategy C under that
 *   participation (streaming BLTs trained for several epochs included);
 * - cyclic Poisson sampling with a banded C (amplified banded MF): Poisson-subsampled Gaussian steps, ceil(t / b)
 *   of them after t steps.
 * Combinations whose accounting would not hold are refused with the reason (run shapes: run-plan.ts).
 */
import {
  type AccountantState,
  amplifiedBandMfCompositions,
  amplifiedBandMfEvent,
  calibrateAmplifiedBandMf,
  calibrateGaussian,
  calibrateNoiseMultiplier,
  computeEpsilon,
  eventFromJSON,
  GaussianAccountant,
  GaussianEvent,
  gaussianEpsilon,
  PldAccountant,
  PoissonSampledEvent,
  type PrivacyAccountant,
  RdpAccountant,
} from '@cnm/accountant';
import { type Participation, sensitivity } from '@cnm/core';
import { type ModeMechanism, modeMechanism } from '@cnm/optim';
import type { EngineConfig } from './engine-config';
import { bandedMomentum, type RunShape } from './run-plan';
import { assertInRange, assertInteger } from './validate';

/** A run's noise multipliers with adaptive clipping: the total, and the gradients' share. */
export interface NoiseSplit {
  /** Noise multiplier σ of the equivalent flat-clipping run (what `makePrivate` takes): the total. */
  readonly noiseMultiplier: number;
  /** Noise multiplier of the gradient sums (equal to the total without adaptive clipping). */
  readonly gradientNoiseMultiplier: number;
}

/**
 * The accounting as reports and checkpoints name it: the mode's accounting, with the accountant of the
 * Poisson-subsampled steps.
 */
export type AccountingLabel =
  | 'poisson-subsampled-gaussian (pld)'
  | 'poisson-subsampled-gaussian (rdp)'
  | 'amplified-banded (pld)'
  | 'amplified-banded (rdp)'
  | 'gaussian';

/** The participation the cyclic sampler produces over `shape.totalSteps` steps. */
export function realParticipationOf(shape: RunShape): Participation {
  return shape.epochs === 1
    ? 'single'
    : { minSeparation: shape.stepsPerEpoch, maxParticipations: shape.epochs };
}

/** The participation a BLT is fitted for under `config.participation`. */
function fitParticipation(config: EngineConfig, shape: RunShape): Participation {
  switch (config.participation) {
    case 'streaming':
      return 'single';
    case 'cyclic':
      return realParticipationOf(shape);
    case 'minSep':
      return {
        minSeparation: config.minSeparation ?? shape.stepsPerEpoch,
        maxParticipations: config.maxParticipations ?? shape.epochs,
      };
  }
}

/**
 * The mechanism of a run, built by the mode table's builder (`modeMechanism` of `@cnm/optim`): the strategy
 * (the BLT fitted for the participation asked), and its sensitivity under the participation the sampler really
 * produces over the whole run.
 */
export function buildMechanism(config: EngineConfig, shape: RunShape): ModeMechanism {
  return modeMechanism(config.mode, {
    steps: shape.totalSteps,
    participation: realParticipationOf(shape),
    fittedFor: fitParticipation(config, shape),
    ...(config.gamma === undefined ? {} : { gamma: config.gamma }),
    ...(shape.bands === undefined ? {} : { bands: shape.bands, momentum: bandedMomentum(config) }),
    fit: { error: config.errorType, bufferCount: config.bufferCount },
  });
}

/**
 * Epsilon of a run as a function of the steps taken, and the calibration of the noise multiplier. For the
 * Gaussian accounting, releasing the first t steps is one Gaussian mechanism whose sensitivity is that of
 * the leading t x t block of C under the real participation restricted to t steps, against the noise
 * calibrated for the whole run: mu_t = sens_t / (noiseMultiplier * noiseSensitivity).
 *
 * With adaptive clipping (`countNoiseMultiplier` given) every step also releases the unclipped count, a
 * Gaussian mechanism of sensitivity 1/2 and noise multiplier `countNoiseMultiplier` = 2σ_b. The `noiseMultiplier`
 * arguments below are then the gradient's (σ_grad), and:
 * - Poisson-subsampled accounting: gradient sum and count of a step are one Gaussian mechanism of noise
 *   multiplier `(σ_grad⁻² + countNoiseMultiplier⁻²)^(−1/2)` on the same subsample (Andrew et al. 2021, Thm. 1),
 *   composed over the steps as before;
 * - Gaussian accounting: an example is in at most k_t of the first t counts, each of sensitivity 1/2 (under
 *   zero-out neighbours the null example contributes 0 to the centred count Σ(bᵢ − 1/2), a real one ±1/2), so the
 *   counts are μ_count = √k_t / countNoiseMultiplier-GDP; independent Gaussian mechanisms compose by adding μ²:
 *   μ_t = √(μ_grad,t² + μ_count,t²). The thresholds depend only on earlier releases, and the gradient noise is
 *   scaled by the threshold of its step: see `docs/concepts.md` on why that keeps μ_grad (adaptive continual
 *   release, Denisov et al. 2022).
 */
export class RunAccounting {
  /** The mechanism accounted. */
  readonly mechanism: ModeMechanism;
  /** The run shape. */
  readonly shape: RunShape;
  /** Accountant of the Poisson-subsampled mode. */
  readonly accountant: 'pld' | 'rdp';
  /** Noise multiplier of the unclipped count (adaptive clipping), `2σ_b`; undefined without adaptive clipping. */
  readonly countNoiseMultiplier: number | undefined;
  readonly #prefixSensitivity = new Map<number, number>();
  readonly #epsilons = new Map<string, number>();

  /**
   * @param accountant - PLD or RDP, for the Poisson-subsampled accounting only.
   * @param countNoiseMultiplier - With adaptive clipping: the count's noise multiplier `2σ_b` (> 0).
   */
  constructor(
    mechanism: ModeMechanism,
    shape: RunShape,
    accountant: 'pld' | 'rdp',
    countNoiseMultiplier?: number,
  ) {
    if (
      countNoiseMultiplier !== undefined &&
      !(countNoiseMultiplier > 0 && Number.isFinite(countNoiseMultiplier))
    ) {
      throw new RangeError(
        `countNoiseMultiplier must be a finite number > 0, got ${String(countNoiseMultiplier)}`,
      );
    }
    this.mechanism = mechanism;
    this.shape = shape;
    this.accountant = accountant;
    this.countNoiseMultiplier = countNoiseMultiplier;
  }

  /** The accounting as reports and checkpoints name it. */
  get label(): AccountingLabel {
    const accounting = this.mechanism.mode.accounting;
    return accounting === 'gaussian' ? 'gaussian' : `${accounting} (${this.accountant})`;
  }

  /**
   * Most counts (steps) an example takes part in among the first `steps` steps: at most one per epoch
   * (min-separation `stepsPerEpoch`), hence `ceil(steps / stepsPerEpoch)`, and at most `epochs`.
   */
  participationsWithin(steps: number): number {
    return Math.min(this.shape.epochs, Math.ceil(steps / this.shape.stepsPerEpoch));
  }

  /**
   * Noise multiplier of one Poisson-subsampled Gaussian equivalent to a step's gradient sum and count together
   * (Andrew et al. 2021, Thm. 1): `(σ_grad⁻² + countNoiseMultiplier⁻²)^(−1/2)`; σ_grad without adaptive clipping.
   */
  stepNoiseMultiplier(gradientNoiseMultiplier: number): number {
    const count = this.countNoiseMultiplier;
    if (count === undefined) return gradientNoiseMultiplier;
    return (gradientNoiseMultiplier ** -2 + count ** -2) ** -0.5;
  }

  /**
   * μ of the Gaussian accounting after `steps` steps (gradient and counts composed): the run is μ-GDP. Only for
   * the Gaussian accounting; 0 steps give 0, no gradient noise Infinity.
   */
  muAfter(steps: number, gradientNoiseMultiplier: number): number {
    if (this.mechanism.mode.accounting !== 'gaussian') {
      throw new RangeError('muAfter applies to the Gaussian accounting, not to Poisson-subsampled steps');
    }
    if (steps === 0) return 0;
    if (gradientNoiseMultiplier === 0) return Number.POSITIVE_INFINITY;
    const gradient =
      this.prefixSensitivity(steps) / (gradientNoiseMultiplier * this.mechanism.noiseSensitivity);
    const count = this.countNoiseMultiplier;
    const countSquared = count === undefined ? 0 : this.participationsWithin(steps) / (count * count);
    return Math.sqrt(gradient * gradient + countSquared);
  }

  /**
   * The gradient noise multiplier σ_grad that makes a run with adaptive clipping cost at most what the same run
   * with flat clipping and noise multiplier `noiseMultiplier` (the total) costs (the count is paid for by more gradient
   * noise): Poisson-subsampled, `(σ⁻² − countNoiseMultiplier⁻²)^(−1/2)` (Andrew et al. 2021, Thm. 1); Gaussian,
   * the σ_grad with `μ_grad² + μ_count² = μ_flat(σ)²` over the whole run. Returns `noiseMultiplier` without
   * adaptive clipping or when it is 0 (no privacy). Throws a `RangeError` when the counts alone would cost as
   * much as the whole budget.
   */
  gradientNoiseMultiplierFor(noiseMultiplier: number): number {
    const count = this.countNoiseMultiplier;
    if (count === undefined || noiseMultiplier === 0) return noiseMultiplier;
    const n = this.shape.totalSteps;
    // Amplified banded MF is Poisson-subsampled Gaussian steps too (ceil(n / b) of them), with the count alike.
    const poisson = this.mechanism.mode.accounting !== 'gaussian';
    // Count noise multiplier per unit of the flat run's μ: μ_flat = sens / (σ · noiseSensitivity).
    const ratio = poisson ? 1 : this.mechanism.sensitivity / this.mechanism.noiseSensitivity;
    const effectiveCount = poisson ? count : (count * ratio) / Math.sqrt(this.participationsWithin(n));
    if (effectiveCount <= noiseMultiplier) {
      const need = poisson
        ? noiseMultiplier
        : (noiseMultiplier * Math.sqrt(this.participationsWithin(n))) / ratio;
      throw new RangeError(
        `adaptiveClipping.countNoiseMultiplier (${count}, twice countNoiseStddev) is too small: the releases of the ` +
          `unclipped count alone would cost at least the whole privacy of noise multiplier ${noiseMultiplier}; ` +
          `it must exceed ${need} (countNoiseStddev above ${need / 2}), and a few times that leaves most of the budget to the gradients`,
      );
    }
    let gradient = (noiseMultiplier ** -2 - effectiveCount ** -2) ** -0.5;
    // Rounding could leave the pair a hair above the flat run's privacy: step up until it is at or below.
    const flat = (g: number): boolean =>
      poisson
        ? this.stepNoiseMultiplier(g) >= noiseMultiplier
        : this.muAfter(n, g) <=
          this.mechanism.sensitivity / (noiseMultiplier * this.mechanism.noiseSensitivity);
    for (let i = 0; i < 64 && !flat(gradient); i++) gradient *= 1 + 1e-12;
    if (!flat(gradient)) throw new RangeError(`could not split noise multiplier ${noiseMultiplier}`);
    return gradient;
  }

  /** The run's noise multipliers for a given total `noiseMultiplier`: it, and the gradients' share. */
  noiseSplit(noiseMultiplier: number): NoiseSplit {
    return { noiseMultiplier, gradientNoiseMultiplier: this.gradientNoiseMultiplierFor(noiseMultiplier) };
  }

  /** Sensitivity of the first `steps` steps under the real participation (clip norm 1). */
  prefixSensitivity(steps: number): number {
    const cached = this.#prefixSensitivity.get(steps);
    if (cached !== undefined) return cached;
    const { realParticipation } = this.mechanism;
    const value =
      steps === this.shape.totalSteps
        ? this.mechanism.sensitivity
        : sensitivity(this.mechanism.strategy.coefficients(steps), realParticipation);
    this.#prefixSensitivity.set(steps, value);
    return value;
  }

  /** Epsilon at `delta` after `steps` steps with noise multiplier `gradientNoiseMultiplier` (0 steps: 0; no noise: Infinity). */
  epsilonAfter(steps: number, gradientNoiseMultiplier: number, delta: number): number {
    assertInteger('steps', steps, 0, this.shape.totalSteps);
    assertInRange('delta', delta, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    if (steps === 0) return 0;
    if (gradientNoiseMultiplier === 0) return Number.POSITIVE_INFINITY;
    const key = `${steps} ${gradientNoiseMultiplier} ${delta}`;
    const cached = this.#epsilons.get(key);
    if (cached !== undefined) return cached;
    const value = this.#epsilon(steps, gradientNoiseMultiplier, delta);
    this.#epsilons.set(key, value);
    return value;
  }

  /**
   * Poisson-subsampled Gaussian steps among the first `steps` steps that one example can take part in: every
   * step for DP-SGD, ceil(steps / bands) for amplified banded MF (its steps are a multiple of b apart).
   */
  subsampledCompositions(steps: number): number {
    const bands = this.shape.bands;
    return this.mechanism.mode.accounting === 'amplified-banded' && steps > 0
      ? amplifiedBandMfCompositions(steps, Math.min(bands as number, steps))
      : steps;
  }

  #epsilon(steps: number, gradientNoiseMultiplier: number, delta: number): number {
    if (this.mechanism.mode.accounting !== 'gaussian') {
      return computeEpsilon({
        noiseMultiplier: this.stepNoiseMultiplier(gradientNoiseMultiplier),
        sampleRate: this.shape.sampleRate as number,
        steps: this.subsampledCompositions(steps),
        delta,
        accountant: this.accountant,
      });
    }
    return gaussianEpsilon({
      noiseMultiplier: 1 / this.muAfter(steps, gradientNoiseMultiplier),
      compositions: 1,
      delta,
    });
  }

  /**
   * The accountant's history after `steps` steps, as `@cnm/accountant` serialises it: the Poisson-subsampled
   * Gaussian event composed `steps` times (PLD or RDP; with adaptive clipping its noise multiplier is
   * {@link RunAccounting.stepNoiseMultiplier}), or one Gaussian event of noise multiplier
   * `gradientNoiseMultiplier * noiseSensitivity / sens_t` (exact Gaussian accountant), followed with adaptive clipping
   * by the count's Gaussian event of noise multiplier `countNoiseMultiplier` composed k_t times. Empty before the
   * first step and without noise (then epsilon is infinite and no accountant applies).
   */
  historyAfter(steps: number, gradientNoiseMultiplier: number): AccountantState {
    if (this.mechanism.mode.accounting !== 'gaussian') {
      const sampleRate = this.shape.sampleRate as number;
      const stepNoise = this.stepNoiseMultiplier(gradientNoiseMultiplier || 1);
      const empty = steps === 0 || gradientNoiseMultiplier === 0;
      // Amplified banded MF: jax_privacy's amplified_bandmf_event, one self-composed entry.
      const entry =
        this.mechanism.mode.accounting === 'amplified-banded'
          ? {
              event: amplifiedBandMfEvent({
                noiseMultiplier: stepNoise,
                sampleRate,
                steps: Math.max(steps, 1),
                bands: Math.min(this.shape.bands as number, Math.max(steps, 1)),
              }).toJSON(),
              count: 1,
            }
          : {
              event: new PoissonSampledEvent(sampleRate, new GaussianEvent(stepNoise)).toJSON(),
              count: steps,
            };
      return { version: 1, kind: this.accountant, options: {}, history: empty ? [] : [entry] };
    }
    const history =
      steps === 0 || gradientNoiseMultiplier === 0
        ? []
        : [
            {
              event: new GaussianEvent(
                (gradientNoiseMultiplier * this.mechanism.noiseSensitivity) / this.prefixSensitivity(steps),
              ).toJSON(),
              count: 1,
            },
            ...(this.countNoiseMultiplier === undefined
              ? []
              : [
                  {
                    event: new GaussianEvent(this.countNoiseMultiplier).toJSON(),
                    count: this.participationsWithin(steps),
                  },
                ]),
          ];
    return { version: 1, kind: 'gaussian', options: {}, history };
  }

  /**
   * A `@cnm/accountant` accountant with the history of the first `steps` steps composed: its `getEpsilon`
   * is the run's epsilon. Infinite privacy loss (no noise) has no accountant: a `RangeError`.
   */
  accountantAfter(steps: number, gradientNoiseMultiplier: number): PrivacyAccountant {
    if (gradientNoiseMultiplier === 0 && steps > 0) {
      throw new RangeError(
        'a run without noise (noiseMultiplier 0) has infinite epsilon: no accountant applies',
      );
    }
    const state = this.historyAfter(steps, gradientNoiseMultiplier);
    const accountant: PrivacyAccountant =
      state.kind === 'gaussian'
        ? new GaussianAccountant()
        : state.kind === 'pld'
          ? new PldAccountant()
          : new RdpAccountant();
    for (const entry of state.history) accountant.compose(eventFromJSON(entry.event), entry.count);
    return accountant;
  }

  /** The most steps (<= totalSteps) whose epsilon at `delta` stays at most `epsilon`. */
  maxStepsWithin(epsilon: number, gradientNoiseMultiplier: number, delta: number): number {
    let low = 0;
    let high = this.shape.totalSteps;
    if (this.epsilonAfter(high, gradientNoiseMultiplier, delta) <= epsilon) return high;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.epsilonAfter(mid, gradientNoiseMultiplier, delta) <= epsilon) low = mid;
      else high = mid;
    }
    return low;
  }

  /**
   * The noise multiplier for which the whole run is (targetEpsilon, targetDelta)-DP, on the safe side:
   * epsilon at the returned value is at most the target. With adaptive clipping this is the total one (flat
   * clipping's); {@link RunAccounting.calibrate} also gives the gradient's.
   */
  #calibrateFlat(targetEpsilon: number, targetDelta: number): number {
    if (this.countNoiseMultiplier !== undefined) {
      return new RunAccounting(this.mechanism, this.shape, this.accountant).#calibrateFlat(
        targetEpsilon,
        targetDelta,
      );
    }
    const n = this.shape.totalSteps;
    let sigma: number;
    if (this.mechanism.mode.accounting === 'amplified-banded') {
      sigma = calibrateAmplifiedBandMf({
        targetEpsilon,
        targetDelta,
        sampleRate: this.shape.sampleRate as number,
        steps: n,
        bands: this.shape.bands as number,
        accountant: this.accountant,
      });
    } else if (this.mechanism.mode.accounting === 'poisson-subsampled-gaussian') {
      sigma = calibrateNoiseMultiplier({
        targetEpsilon,
        targetDelta,
        sampleRate: this.shape.sampleRate as number,
        steps: n,
        accountant: this.accountant,
      });
    } else {
      // mu = sens_n / (sigma * noiseSensitivity): 1/sigma for the matrix mechanism, sqrt(epochs)/sigma for DP-SGD.
      const ratio = this.mechanism.sensitivity / this.mechanism.noiseSensitivity;
      sigma = ratio * calibrateGaussian({ targetEpsilon, targetDelta, compositions: 1 });
    }
    return this.#meetTarget(sigma, targetEpsilon, targetDelta);
  }

  /**
   * The run's noise multipliers calibrated to (targetEpsilon, targetDelta): the total σ, for which the same run with
   * flat clipping is (targetEpsilon, targetDelta)-DP, and with adaptive clipping the gradient's σ_grad, raised until the composed epsilon (gradient and counts)
   * is at most the target. Without adaptive clipping both are the same. Throws a `RangeError` when the counts
   * alone exceed the budget.
   */
  calibrate(targetEpsilon: number, targetDelta: number): NoiseSplit {
    const total = this.#calibrateFlat(targetEpsilon, targetDelta);
    let gradient: number;
    try {
      gradient = this.gradientNoiseMultiplierFor(total);
    } catch (error) {
      if (!(error instanceof RangeError) || this.countNoiseMultiplier === undefined) throw error;
      throw new RangeError(
        `${error.message}; with targetEpsilon ${targetEpsilon} at targetDelta ${targetDelta} the calibrated total noise multiplier is ${total}`,
      );
    }
    return {
      noiseMultiplier: total,
      gradientNoiseMultiplier: this.#meetTarget(gradient, targetEpsilon, targetDelta),
    };
  }

  #meetTarget(start: number, targetEpsilon: number, targetDelta: number): number {
    const n = this.shape.totalSteps;
    let sigma = start;
    // Rounding in the products above could cross the target by an ulp: step up until it is met.
    for (let i = 0; i < 64 && this.epsilonAfter(n, sigma, targetDelta) > targetEpsilon; i++)
      sigma *= 1 + 1e-12;
    if (this.epsilonAfter(n, sigma, targetDelta) > targetEpsilon) {
      throw new RangeError(`could not calibrate a noise multiplier for targetEpsilon ${targetEpsilon}`);
    }
    return sigma;
  }
}
