/** The settings of adaptive clipping (`adaptiveClipping` option), checked with their defaults. */
import { ADAPTIVE_THRESHOLD_RANGE } from './clipping';
import { ADAPTIVE_CLIPPING_ALIASES } from './engine-options';
import { finiteIn } from './option-rules';

/** Adaptive clipping settings after validation; the count noise default follows from the batch size later. */
export interface ResolvedAdaptiveClipping {
  /** Target unclipped fraction γ. */
  readonly targetUnclippedQuantile: number;
  /** Geometric learning rate η. */
  readonly learningRate: number;
  /** σ_b when given (directly or as `countNoiseMultiplier / 2`), else undefined (default `batchSize / 20`). */
  readonly countNoiseStddev: number | undefined;
  /** Lower bound of the threshold. */
  readonly minThreshold: number;
  /** Upper bound of the threshold. */
  readonly maxThreshold: number;
}

const ADAPTIVE_KEYS: readonly string[] = [
  'targetUnclippedQuantile',
  'learningRate',
  'countNoiseStddev',
  'countNoiseMultiplier',
  'minThreshold',
  'maxThreshold',
];

/**
 * Checks the `adaptiveClipping` settings (aliases accepted) against the initial threshold `maxGradNorm`, with
 * their defaults applied.
 */
export function checkAdaptiveClipping(raw: unknown, initialThreshold: number): ResolvedAdaptiveClipping {
  if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    throw new TypeError(`adaptiveClipping must be an object with the settings ${ADAPTIVE_KEYS.join(', ')}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (value === undefined) continue;
    const name = ADAPTIVE_CLIPPING_ALIASES[key] ?? key;
    if (!ADAPTIVE_KEYS.includes(name)) {
      throw new TypeError(
        `unknown adaptiveClipping setting '${key}'; the settings are ${ADAPTIVE_KEYS.join(', ')} (aliases: ${Object.keys(ADAPTIVE_CLIPPING_ALIASES).join(', ')})`,
      );
    }
    if (Object.hasOwn(options, name)) {
      throw new TypeError(`adaptiveClipping.${name} is given twice (also as its alias '${key}')`);
    }
    options[name] = value;
  }
  const positive = { min: 0, max: Number.MAX_VALUE, minOpen: true };
  const targetUnclippedQuantile = finiteIn(
    'adaptiveClipping.targetUnclippedQuantile',
    options.targetUnclippedQuantile ?? 0.5,
    { min: 0, max: 1, minOpen: true, maxOpen: true },
  );
  const learningRate = finiteIn('adaptiveClipping.learningRate', options.learningRate ?? 0.2, positive);
  if (options.countNoiseStddev !== undefined && options.countNoiseMultiplier !== undefined) {
    throw new TypeError(
      'adaptiveClipping: give countNoiseStddev or countNoiseMultiplier (= 2 countNoiseStddev), not both',
    );
  }
  const countNoiseStddev =
    options.countNoiseStddev !== undefined
      ? finiteIn('adaptiveClipping.countNoiseStddev', options.countNoiseStddev, positive)
      : options.countNoiseMultiplier !== undefined
        ? finiteIn('adaptiveClipping.countNoiseMultiplier', options.countNoiseMultiplier, positive) / 2
        : undefined;
  const givenMin =
    options.minThreshold === undefined
      ? undefined
      : finiteIn('adaptiveClipping.minThreshold', options.minThreshold, positive);
  const givenMax =
    options.maxThreshold === undefined
      ? undefined
      : finiteIn('adaptiveClipping.maxThreshold', options.maxThreshold, positive);
  // Defaults: 10⁶ below and above the initial threshold (see AdaptiveClipNormOptions.minThreshold).
  const minThreshold =
    givenMin ?? Math.min(initialThreshold / ADAPTIVE_THRESHOLD_RANGE, givenMax ?? initialThreshold);
  const maxThreshold =
    givenMax ?? Math.max(initialThreshold * ADAPTIVE_THRESHOLD_RANGE, givenMin ?? initialThreshold);
  if (minThreshold > maxThreshold) {
    throw new RangeError(
      `adaptiveClipping.minThreshold (${minThreshold}) must be at most adaptiveClipping.maxThreshold (${maxThreshold})`,
    );
  }
  if (initialThreshold < minThreshold || initialThreshold > maxThreshold) {
    throw new RangeError(
      `maxGradNorm, the initial threshold of adaptive clipping, must be in [minThreshold, maxThreshold] = [${minThreshold}, ${maxThreshold}], got ${initialThreshold}`,
    );
  }
  return { targetUnclippedQuantile, learningRate, countNoiseStddev, minThreshold, maxThreshold };
}
