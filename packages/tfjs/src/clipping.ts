import {
  fillGaussian,
  type RandomGenerator,
  SecureRandom,
  SeededRandom,
  type SeededRandomState,
} from '@cnm/sampler';
import { assertInRange, assertInteger, assertPositive } from './validate';

/** One global threshold on the L2 norm of each example's whole gradient. */
export interface FlatClipping {
  /** Discriminant. */
  readonly mode: 'flat';
  /** Largest L2 norm an example's clipped gradient can have (the sensitivity of the clipped sum). */
  readonly maxGradNorm: number;
}

/**
 * One threshold per layer: each example's gradient restricted to a layer is clipped to that layer's threshold,
 * so the clipped sum's sensitivity is `sqrt(Σ threshold²)` ({@link clippingSensitivity}).
 */
export interface PerLayerClipping {
  /** Discriminant. */
  readonly mode: 'perLayer';
  /** Threshold per layer name; every layer with trainable variables needs one. */
  readonly thresholds: Readonly<Record<string, number>>;
}

/**
 * Quantile-based adaptive clipping (Andrew et al. 2021): the threshold follows a target quantile of the
 * per-example norms, learnt from a noisy count of unclipped examples released once per logical batch.
 */
export interface AdaptiveClipping {
  /** Discriminant. */
  readonly mode: 'adaptive';
  /** The threshold state; the engine reads its current threshold and feeds it the batch's count. */
  readonly state: AdaptiveClipNorm;
}

/** How per-example gradients are clipped. */
export type ClippingOptions = FlatClipping | PerLayerClipping | AdaptiveClipping;

/** Added to norms before dividing, as Opacus does, so a zero gradient gets factor 1 and never NaN. */
export const CLIP_NORM_EPSILON = 1e-6;

/**
 * The clip factor `min(1, maxGradNorm / (norm + 1e-6))` for one norm (plain-number form of what the engine
 * computes on tensors).
 */
export function clipFactor(norm: number, maxGradNorm: number): number {
  return Math.min(1, maxGradNorm / (norm + CLIP_NORM_EPSILON));
}

/**
 * L2 sensitivity of the sum of clipped per-example gradients under add/remove-one adjacency: the threshold for
 * flat and adaptive clipping (at the current threshold), `sqrt(Σ threshold²)` for per-layer thresholds.
 */
export function clippingSensitivity(clipping: ClippingOptions): number {
  switch (clipping.mode) {
    case 'flat':
      return clipping.maxGradNorm;
    case 'adaptive':
      return clipping.state.maxGradNorm;
    case 'perLayer':
      return Math.sqrt(Object.values(clipping.thresholds).reduce((s, t) => s + t * t, 0));
  }
}

/**
 * Checks a clipping option, and with `layerNames` that per-layer thresholds name exactly the trainable layers:
 * the one check of a clipping option, made where it enters (the engine's configuration, or a direct call of
 * `computeClippedGradients`). Throws a `RangeError`/`TypeError` naming the bad field.
 */
export function validateClipping(clipping: ClippingOptions, layerNames?: readonly string[]): void {
  if (clipping == null || typeof clipping !== 'object') {
    throw new TypeError('clipping must be an object with mode "flat", "perLayer" or "adaptive"');
  }
  switch (clipping.mode) {
    case 'flat':
      assertPositive('clipping.maxGradNorm', clipping.maxGradNorm);
      return;
    case 'perLayer': {
      const entries = Object.entries(clipping.thresholds ?? {});
      if (entries.length === 0) throw new RangeError('clipping.thresholds must name at least one layer');
      for (const [name, t] of entries) assertPositive(`clipping.thresholds[${JSON.stringify(name)}]`, t);
      if (layerNames !== undefined) checkLayerNames(clipping.thresholds, layerNames);
      return;
    }
    case 'adaptive':
      if (!(clipping.state instanceof AdaptiveClipNorm)) {
        throw new TypeError('clipping.state must be an AdaptiveClipNorm');
      }
      return;
    default:
      throw new TypeError(
        `clipping.mode must be "flat", "perLayer" or "adaptive", got ${JSON.stringify((clipping as { mode?: unknown }).mode)}`,
      );
  }
}

/** Per-layer thresholds must name every trainable layer, and nothing else. */
function checkLayerNames(
  thresholds: Readonly<Record<string, number>>,
  layerNames: readonly string[],
  field = 'clipping.thresholds',
  item = 'threshold',
): void {
  for (const name of layerNames) {
    if (thresholds[name] == null) {
      throw new RangeError(`${field} has no ${item} for trainable layer "${name}"`);
    }
  }
  for (const name of Object.keys(thresholds)) {
    if (!layerNames.includes(name)) {
      throw new RangeError(
        `${field} names "${name}", which is not a trainable layer (${layerNames.join(', ')})`,
      );
    }
  }
}

/**
 * The clipping of a run from its validated `maxGradNorm` option: one norm clips flat; several (an array in layer
 * order, or a record by layer name) clip per layer, checked against the model's trainable layers.
 */
export function clippingFromMaxGradNorm(
  maxGradNorm: number | readonly number[] | Readonly<Record<string, number>>,
  layerNames: readonly string[],
): FlatClipping | PerLayerClipping {
  if (typeof maxGradNorm === 'number') return { mode: 'flat', maxGradNorm };
  if (Array.isArray(maxGradNorm)) {
    if (maxGradNorm.length !== layerNames.length) {
      throw new RangeError(
        `maxGradNorm must hold one norm per trainable layer (${layerNames.length}: ${layerNames.join(', ')}), got ${maxGradNorm.length}`,
      );
    }
    return {
      mode: 'perLayer',
      thresholds: Object.fromEntries(layerNames.map((name, i) => [name, maxGradNorm[i] as number])),
    };
  }
  const thresholds = { ...(maxGradNorm as Readonly<Record<string, number>>) };
  checkLayerNames(thresholds, layerNames, 'maxGradNorm', 'norm');
  return { mode: 'perLayer', thresholds };
}

/**
 * What a clipped batch releases besides its sums, the same in this thread and in the worker pool: the L2
 * sensitivity of the sums (read before an adaptive threshold moves), and with adaptive clipping the noisy count
 * of the counted examples whose norm was at most the threshold (which moves the threshold for the next batch).
 *
 * @param perExampleNorms - Each example's whole-gradient norm before clipping.
 * @param counted - 1 for an example the count covers, 0 for padding or a skipped (non-finite) example.
 * @param countedExamples - Number of counted examples.
 */
export function releaseBatch(
  clipping: ClippingOptions,
  perExampleNorms: ArrayLike<number>,
  counted: ArrayLike<number>,
  countedExamples: number,
): { readonly sensitivity: number; readonly noisyUnclippedFraction?: number } {
  const sensitivity = clippingSensitivity(clipping);
  if (clipping.mode !== 'adaptive') return { sensitivity };
  let unclipped = 0;
  for (let i = 0; i < perExampleNorms.length; i++) {
    if (counted[i] === 1 && (perExampleNorms[i] as number) <= sensitivity) unclipped++;
  }
  // Skipped examples take no part in the count either (each example still moves it by at most 1/2).
  return { sensitivity, noisyUnclippedFraction: clipping.state.update(unclipped, countedExamples) };
}

/** Default bounds of an adaptive threshold: the initial one divided or multiplied by this factor (10⁶). */
export const ADAPTIVE_THRESHOLD_RANGE = 1e6;

/** Options of {@link AdaptiveClipNorm}. */
export interface AdaptiveClipNormOptions {
  /** Threshold used for the first batch. */
  readonly initialMaxGradNorm: number;
  /** Fraction of examples that should end up unclipped (γ in the paper), in (0, 1). Default 0.5. */
  readonly targetUnclippedQuantile?: number;
  /** Geometric learning rate (η_C): the threshold changes by at most a factor `exp(learningRate)`. Default 0.2. */
  readonly learningRate?: number;
  /**
   * Standard deviation σ_b of the Gaussian noise added to the unclipped count. The count's sensitivity is 1/2
   * (indicators centred at 1/2), so its noise multiplier is `2σ_b` ({@link AdaptiveClipNorm.countNoiseMultiplier}).
   */
  readonly countNoiseStddev: number;
  /** Expected number of examples per logical batch (e.g. sampling rate × dataset size), the public denominator. */
  readonly expectedBatchSize: number;
  /**
   * Smallest threshold the update may reach (Opacus `min_clipbound`), `> 0`; default `initialMaxGradNorm / 10⁶`
   * ({@link ADAPTIVE_THRESHOLD_RANGE}; at most `maxThreshold`), which keeps the threshold, and the noise scaled by
   * it, far from floating-point underflow. Clamping is post-processing of the released
   * count: it costs no privacy.
   */
  readonly minThreshold?: number;
  /**
   * Largest threshold the update may reach (Opacus `max_clipbound`); default `initialMaxGradNorm × 10⁶`
   * ({@link ADAPTIVE_THRESHOLD_RANGE}; at least `minThreshold`).
   */
  readonly maxThreshold?: number;
  /**
   * Generator of the count noise (`@cnm/sampler`): a `SeededRandom` makes the run reproducible and its state
   * part of {@link AdaptiveClipNorm.exportState}; a `SecureRandom` draws with the floating-point-attack-resistant
   * sampler. Give this or `gaussian`, not both.
   */
  readonly random?: RandomGenerator;
  /**
   * Standard normal sampler for the count noise, for tests. Default (with no `random` either): a `SecureRandom`
   * of `@cnm/sampler`.
   */
  readonly gaussian?: () => number;
}

/** Exact state of an {@link AdaptiveClipNorm}: the threshold and the count-noise generator. */
export interface AdaptiveClipNormState {
  /** The threshold the next logical batch is clipped to. */
  readonly maxGradNorm: number;
  /** Counts released so far. */
  readonly updates: number;
  /** State of the seeded count-noise generator, `null` for secure (or injected) randomness. */
  readonly random: SeededRandomState | null;
}

/**
 * State of quantile-based adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, geometric update).
 * After each logical batch the engine calls {@link AdaptiveClipNorm.update} with the number of examples whose
 * norm was at most the threshold; the released quantity is `Σ(bᵢ − 1/2) + N(0, σ_b²)` (sensitivity 1/2), and
 * the threshold becomes `C · exp(−η (b̃ − γ))` with `b̃` the noisy unclipped fraction.
 *
 * Accounting: each update is a Gaussian mechanism with noise multiplier {@link AdaptiveClipNorm.countNoiseMultiplier},
 * composed with the gradient mechanism by the engine's accounting.
 */
export class AdaptiveClipNorm {
  /** Target fraction of unclipped examples (γ). */
  readonly targetUnclippedQuantile: number;
  /** Geometric learning rate (η_C). */
  readonly learningRate: number;
  /** Standard deviation of the count noise (σ_b). */
  readonly countNoiseStddev: number;
  /** Public expected batch size used as denominator. */
  readonly expectedBatchSize: number;
  /** Lower bound of the threshold. */
  readonly minThreshold: number;
  /** Upper bound of the threshold. */
  readonly maxThreshold: number;
  readonly #gaussian: (() => number) | undefined;
  #random: RandomGenerator | undefined;
  readonly #draw = new Float64Array(1);
  #current: number;
  #updates = 0;

  /** Creates the state; throws a `RangeError` for out-of-range options. */
  constructor(options: AdaptiveClipNormOptions) {
    assertPositive('initialMaxGradNorm', options.initialMaxGradNorm);
    const target = options.targetUnclippedQuantile ?? 0.5;
    assertInRange('targetUnclippedQuantile', target, {
      min: 0,
      max: 1,
      minExclusive: true,
      maxExclusive: true,
    });
    const learningRate = options.learningRate ?? 0.2;
    assertPositive('learningRate', learningRate);
    assertPositive('countNoiseStddev', options.countNoiseStddev);
    assertPositive('expectedBatchSize', options.expectedBatchSize);
    if (options.minThreshold !== undefined) assertPositive('minThreshold', options.minThreshold);
    if (options.maxThreshold !== undefined) assertPositive('maxThreshold', options.maxThreshold);
    const initial = options.initialMaxGradNorm;
    const minThreshold =
      options.minThreshold ?? Math.min(initial / ADAPTIVE_THRESHOLD_RANGE, options.maxThreshold ?? initial);
    const maxThreshold =
      options.maxThreshold ?? Math.max(initial * ADAPTIVE_THRESHOLD_RANGE, options.minThreshold ?? initial);
    if (minThreshold > maxThreshold) {
      throw new RangeError(`minThreshold (${minThreshold}) must be at most maxThreshold (${maxThreshold})`);
    }
    if (options.initialMaxGradNorm < minThreshold || options.initialMaxGradNorm > maxThreshold) {
      throw new RangeError(
        `initialMaxGradNorm must be in [minThreshold, maxThreshold] = [${minThreshold}, ${maxThreshold}], got ${options.initialMaxGradNorm}`,
      );
    }
    if (options.random !== undefined && options.gaussian !== undefined) {
      throw new TypeError('give random or gaussian for the count noise, not both');
    }
    if (
      options.random !== undefined &&
      (options.random === null || typeof options.random.fillUint32 !== 'function')
    ) {
      throw new TypeError('random must be a RandomGenerator of @cnm/sampler (SeededRandom or SecureRandom)');
    }
    if (options.gaussian !== undefined && typeof options.gaussian !== 'function') {
      throw new TypeError('gaussian must be a function returning standard normal draws');
    }
    this.#current = options.initialMaxGradNorm;
    this.targetUnclippedQuantile = target;
    this.learningRate = learningRate;
    this.countNoiseStddev = options.countNoiseStddev;
    this.expectedBatchSize = options.expectedBatchSize;
    this.minThreshold = minThreshold;
    this.maxThreshold = maxThreshold;
    this.#random = options.random ?? (options.gaussian === undefined ? new SecureRandom() : undefined);
    this.#gaussian = options.gaussian;
  }

  /** The threshold the next logical batch is clipped to. */
  get maxGradNorm(): number {
    return this.#current;
  }

  /** Counts released so far (logical batches processed). */
  get updates(): number {
    return this.#updates;
  }

  /** Noise of one release: `N(0, countNoiseStddev²)`. */
  #countNoise(): number {
    if (this.#random === undefined) return this.countNoiseStddev * (this.#gaussian as () => number)();
    fillGaussian(this.#draw, this.countNoiseStddev, this.#random, {
      secure: this.#random.isSecure === true,
    });
    return this.#draw[0] as number;
  }

  /**
   * Whether the count noise draws from a secure generator: a `random` that declares itself secure (`SecureRandom`,
   * also the default); `false` for a `SeededRandom` or an injected `gaussian`.
   */
  get isSecure(): boolean {
    return this.#random?.isSecure === true;
  }

  /** Noise multiplier of the released count: `σ_b / (1/2)` (the count's sensitivity is 1/2). */
  get countNoiseMultiplier(): number {
    return 2 * this.countNoiseStddev;
  }

  /**
   * Releases the noisy count of one logical batch and moves the threshold. `unclippedCount` is the number of
   * real examples with norm ≤ the current threshold, `batchSize` the number of real examples. Returns the noisy
   * unclipped fraction that was released (safe to log).
   */
  update(unclippedCount: number, batchSize: number): number {
    assertInteger('batchSize', batchSize, 0);
    assertInteger('unclippedCount', unclippedCount, 0, batchSize);
    const noisyCentredSum = unclippedCount - batchSize / 2 + this.#countNoise();
    const noisyFraction = noisyCentredSum / this.expectedBatchSize + 0.5;
    const next =
      this.#current * Math.exp(-this.learningRate * (noisyFraction - this.targetUnclippedQuantile));
    // Clamping (and a non-finite product from an extreme draw) is post-processing of the released value.
    this.#current = Math.min(
      this.maxThreshold,
      Math.max(this.minThreshold, Number.isNaN(next) ? this.#current : next),
    );
    this.#updates += 1;
    return noisyFraction;
  }

  /** Exact copy of the state (threshold and seeded generator). */
  exportState(): AdaptiveClipNormState {
    return {
      maxGradNorm: this.#current,
      updates: this.#updates,
      random: this.#random instanceof SeededRandom ? this.#random.exportState() : null,
    };
  }

  /**
   * Restores a state exported by an adaptive clipping with the same kind of generator; a seeded one continues
   * bit for bit. Checks everything before changing anything.
   */
  restoreState(state: AdaptiveClipNormState): void {
    if (state === null || typeof state !== 'object')
      throw new TypeError('state must be an AdaptiveClipNormState');
    const { maxGradNorm, updates } = state;
    if (
      typeof maxGradNorm !== 'number' ||
      !(maxGradNorm >= this.minThreshold && maxGradNorm <= this.maxThreshold)
    ) {
      throw new RangeError(
        `state.maxGradNorm must be in [${this.minThreshold}, ${this.maxThreshold}], got ${String(maxGradNorm)}`,
      );
    }
    assertInteger('state.updates', updates, 0);
    const seeded = this.#random instanceof SeededRandom;
    if (seeded !== (state.random !== null && state.random !== undefined)) {
      throw new RangeError(
        seeded
          ? 'state.random must hold a SeededRandom state for a seeded adaptive clipping'
          : 'state.random must be null for an adaptive clipping without a seeded generator',
      );
    }
    const random = seeded ? SeededRandom.fromState(state.random as SeededRandomState) : this.#random;
    this.#random = random;
    this.#current = maxGradNorm;
    this.#updates = updates;
  }
}
