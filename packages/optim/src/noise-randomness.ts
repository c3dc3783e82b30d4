import { type RandomGenerator, SecureRandom, SeededRandom } from '@cnm/sampler';

/**
 * Where the Gaussian draws of the noise come from: `'secure'` uses operating-system entropy through
 * {@link @cnm/sampler!SecureRandom} and the floating-point-attack-resistant Gaussian sampler (use this for
 * real privacy guarantees); `{ seed }` uses a reproducible {@link @cnm/sampler!SeededRandom} (tests,
 * experiments, bit-exact resumption), which is never secure. The noise never comes from `tf.randomNormal`.
 */
export type NoiseRandomness =
  | 'secure'
  | {
      /** Seed of the {@link @cnm/sampler!SeededRandom} generator. */
      readonly seed: number | bigint;
    };

/**
 * Checks a {@link NoiseRandomness} option and builds its generator. Refuses anything else: an unknown key (a
 * typo would otherwise be ignored) and `{ seed, secure: true }`, which asks for a seeded generator and a secure
 * one at once (a seeded stream is predictable from its seed, so it cannot be secure).
 *
 * @param name - the option's name, for the messages.
 */
export function noiseGenerator(name: string, random: NoiseRandomness): RandomGenerator {
  if (random === 'secure') return new SecureRandom();
  if (random === null || typeof random !== 'object' || Array.isArray(random)) {
    throw new TypeError(`${name} must be 'secure' or { seed: number | bigint }, got ${describe(random)}`);
  }
  const keys = Object.keys(random);
  if (keys.includes('secure')) {
    throw new TypeError(
      `${name}: { seed, secure } is contradictory: a seeded generator is predictable from its seed, so it is never ` +
        `secure. Give ${name}: 'secure' for secure noise, or { seed } alone for reproducible noise`,
    );
  }
  const unknown = keys.filter((key) => key !== 'seed');
  if (unknown.length > 0) {
    throw new TypeError(`${name} has unknown option(s) ${unknown.join(', ')}: the only one is seed`);
  }
  if (!('seed' in random)) throw new TypeError(`${name} must be 'secure' or { seed: number | bigint }`);
  return SeededRandom.fromSeed(random.seed);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
