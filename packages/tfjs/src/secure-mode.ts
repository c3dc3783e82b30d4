import type { BatchSampler } from '@cnm/sampler';

/** The random sources of a run, as the secure-mode check sees them. */
export interface RunRandomSources {
  /** The batch sampler. */
  readonly sampler: BatchSampler;
  /** Whether the gradient noise draws from a secure generator (`CorrelatedNoise.secure`). */
  readonly noiseIsSecure: boolean;
  /** Whether the count noise of adaptive clipping draws securely; absent without adaptive clipping. */
  readonly adaptiveClippingIsSecure?: boolean;
}

/**
 * Secure mode is all or nothing: refuses a sampler whose random choices do not come from a generator that
 * declares itself secure (`RandomGenerator.isSecure`). A `CyclicSampler` built with a `SeededRandom` (its
 * batches predictable from the seed), or with no generator at all (contiguous batches), is refused as well.
 *
 * @throws TypeError naming the sampler and what to give instead.
 */
export function assertSecureSampler(sampler: BatchSampler): void {
  if (sampler.randomness === 'secure') return;
  const kind = sampler.participation.kind;
  const how =
    sampler.randomness === 'none'
      ? 'makes no random choice (it was built without a generator)'
      : 'draws from a generator that is not secure (a SeededRandom: its batches can be replayed from the seed)';
  throw new TypeError(
    `secureMode: the sampler given (participation '${kind}') ${how}. Secure mode takes every random choice from ` +
      'operating-system entropy: build the sampler with rng: new SecureRandom(), or leave out the sampler option ' +
      '(the engine then builds a secure one), or turn secureMode off',
  );
}

/**
 * The last check of a secure run, once all its parts exist: the sampler, the gradient noise and adaptive
 * clipping's count noise must all draw from secure generators.
 *
 * @throws TypeError naming the first source that is not secure.
 */
export function assertSecureRun(sources: RunRandomSources): void {
  assertSecureSampler(sources.sampler);
  if (!sources.noiseIsSecure) {
    throw new TypeError('secureMode: the gradient noise draws from a seeded generator; it must be secure');
  }
  if (sources.adaptiveClippingIsSecure === false) {
    throw new TypeError(
      'secureMode: the count noise of adaptive clipping draws from a seeded or injected generator; it must be secure',
    );
  }
}
