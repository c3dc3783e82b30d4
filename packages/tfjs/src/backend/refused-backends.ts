import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs backends on which the per-example engine is known to be wrong, with the reason: computing clipped
 * gradients there is refused rather than risking a silently wrong gradient (a privacy and a correctness bug).
 * Measured with tfjs 4.22.0 in headless Chromium, against an example-by-example reference on the cpu backend.
 */
export const REFUSED_BACKENDS: Readonly<Record<string, string>> = Object.freeze({
  webgpu:
    'the per-example engine is refused on the webgpu backend (tfjs 4.22.0): convolution layers fail there ' +
    "('Where for rank 5 is not yet supported'); in headless Chromium the gradients of a dense model did not match " +
    'the cpu reference, even computed example by example with tf.variableGrads, and using webgpu left the webgl ' +
    'backend of the same page computing wrong clipped sums; use webgl or wasm',
});

/** Why the per-example engine refuses `backend`, or undefined when it runs there. */
export function refusedBackendReason(backend: string): string | undefined {
  return Object.hasOwn(REFUSED_BACKENDS, backend) ? REFUSED_BACKENDS[backend] : undefined;
}

/** @throws Error with the reason when the active tfjs backend is one the engine refuses. */
export function assertEngineBackend(): void {
  const reason = refusedBackendReason(tf.getBackend());
  if (reason !== undefined) throw new Error(reason);
}
