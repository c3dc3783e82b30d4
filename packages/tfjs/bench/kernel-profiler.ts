import * as tf from '@tensorflow/tfjs-core';

/** Time and call count per kernel name. */
export type KernelProfile = Map<string, { calls: number; ms: number }>;

/**
 * Wraps every kernel registered for `backendName` with a timer (wasm and cpu kernels are synchronous, so the
 * wall time of the call is the kernel's time; nested calls of other kernels' functions are not counted twice
 * because they bypass the registry). Returns the profile and a function that restores the original kernels.
 */
export function profileKernels(backendName: string): { profile: KernelProfile; restore: () => void } {
  const profile: KernelProfile = new Map();
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, backendName);
    const inner = config.kernelFunc;
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = performance.now();
        const out = inner(args);
        const ms = performance.now() - start;
        const entry = profile.get(config.kernelName) ?? { calls: 0, ms: 0 };
        entry.calls++;
        entry.ms += ms;
        profile.set(config.kernelName, entry);
        return out;
      },
    });
  }
  const restore = () => {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  };
  return { profile, restore };
}

/** The profile as sorted text lines, most expensive first. */
export function formatProfile(profile: KernelProfile, steps: number): string {
  const rows = [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((sum, [, v]) => sum + v.ms, 0);
  const lines = rows.map(
    ([name, v]) =>
      `  ${name.padEnd(24)} ${(v.ms / steps).toFixed(1).padStart(8)} ms/step  ${String(v.calls / steps).padStart(5)} calls/step`,
  );
  lines.push(`  ${'total in kernels'.padEnd(24)} ${(total / steps).toFixed(1).padStart(8)} ms/step`);
  return lines.join('\n');
}
