import type { PrivateRowRunner } from '../table';

/** The private-row trainer, or why there is none. */
export interface PrivateRunnerAvailability {
  /** Trains a private row through the PrivacyEngine; absent when the engine is not available. */
  readonly runner?: PrivateRowRunner;
  /** Why it is absent. */
  readonly reason: string;
}

/**
 * Finds the PrivacyEngine of @cnm/tfjs (`makePrivateWithEpsilon`). The engine is being written on another
 * branch: until it is exported, private rows are reported as not run rather than trained by code that
 * would duplicate it.
 */
export async function loadPrivateRunner(): Promise<PrivateRunnerAvailability> {
  const tfjs = (await import('@cnm/tfjs')) as Record<string, unknown>;
  if (typeof tfjs.makePrivateWithEpsilon !== 'function') {
    return { reason: 'the PrivacyEngine (makePrivateWithEpsilon of @cnm/tfjs) is not in this build yet' };
  }
  return { reason: 'the PrivacyEngine is exported but its adapter is not written yet' };
}
