import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from './register-wasm-training-kernels';
import { registerResizeNearestNeighborGradFix } from './resize-nearest-neighbor-grad';
import { loadWasmSimdKernels } from './simd-kernels';

/** Backends `selectBackend` can choose, fastest first. */
export type TrainingBackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * The backend to try first; the others follow in the order tensorflow, wasm, cpu. Default: `'tensorflow'`
   * (native TensorFlow when `@tensorflow/tfjs-node` or `-gpu` is installed, else wasm).
   */
  preferred?: TrainingBackendName;
  /** Where the wasm binaries are served from (browsers and bundlers; passed to `setWasmPaths`). */
  wasmPaths?: string | Record<string, string>;
  /**
   * Loads a module by name; default: dynamic `import` (literal specifiers for the wasm and cpu backends, so
   * bundlers include them). Injected in tests, or by applications whose bundler needs the native package named
   * statically.
   */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** One backend that `selectBackend` tried. */
export interface BackendAttempt {
  /** The backend tried. */
  backend: TrainingBackendName;
  /** Whether it became the active backend. */
  ok: boolean;
  /** Why it was not used (absent when `ok`). */
  reason?: string;
}

/** What {@link selectBackend} chose and why. */
export interface BackendSelection {
  /** The active tfjs backend after the call. */
  backend: TrainingBackendName;
  /** The npm package that provides it. */
  packageName: string;
  /** Training kernels registered by the call (the wasm kernel pack), empty for the other backends. */
  registeredKernels: string[];
  /** Every backend tried, in order. */
  attempts: BackendAttempt[];
}

const ORDER: readonly TrainingBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** The native packages, GPU build first: both register the tfjs backend named `tensorflow`. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** True when running in Node.js (where the native packages can exist). */
function isNode(): boolean {
  const candidate = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof candidate?.versions?.node === 'string';
}

/**
 * The default module loader. The wasm and cpu backends are imported by literal specifiers, so bundlers include
 * them; the optional native packages by a specifier that bundlers leave alone, so a browser build neither needs
 * nor bundles them.
 */
function defaultImport(specifier: string): Promise<unknown> {
  switch (specifier) {
    case '@tensorflow/tfjs-backend-wasm':
      return import('@tensorflow/tfjs-backend-wasm');
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    default:
      return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

async function tryNative(
  importModule: (specifier: string) => Promise<unknown>,
): Promise<{ packageName: string } | { reason: string }> {
  if (!isNode()) return { reason: 'native TensorFlow needs Node.js' };
  const failures: string[] = [];
  for (const packageName of NATIVE_PACKAGES) {
    try {
      // Importing the package registers the 'tensorflow' backend with tfjs-core.
      await importModule(packageName);
    } catch (error) {
      failures.push(`${packageName}: ${describe(error)}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      failures.push(
        `${packageName}: loaded but registered no 'tensorflow' backend (a different tfjs-core copy?)`,
      );
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { packageName };
    failures.push(`${packageName}: the 'tensorflow' backend failed to initialise`);
  }
  return { reason: failures.join('; ') };
}

async function tryWasm(
  importModule: (specifier: string) => Promise<unknown>,
  wasmPaths: SelectBackendOptions['wasmPaths'],
): Promise<{ registeredKernels: string[] } | { reason: string }> {
  try {
    const wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as {
      setWasmPaths?: (paths: string | Record<string, string>) => void;
    };
    if (wasmPaths !== undefined) wasm.setWasmPaths?.(wasmPaths);
    const registeredKernels = registerWasmTrainingKernels();
    if (await tf.setBackend('wasm')) {
      // After the backend exists, so that the module is instantiated asynchronously for its memory. Without
      // WASM SIMD the pack runs its pure JS paths.
      await loadWasmSimdKernels();
      registerResizeNearestNeighborGradFix();
      return { registeredKernels };
    }
    return { reason: 'the wasm backend failed to initialise (binary not found or WebAssembly unavailable)' };
  } catch (error) {
    return { reason: describe(error) };
  }
}

async function tryCpu(
  importModule: (specifier: string) => Promise<unknown>,
): Promise<{ ok: true } | { reason: string }> {
  try {
    await importModule('@tensorflow/tfjs-backend-cpu');
    if (await tf.setBackend('cpu')) {
      registerResizeNearestNeighborGradFix();
      return { ok: true };
    }
    return { reason: 'the cpu backend failed to initialise' };
  } catch (error) {
    return { reason: describe(error) };
  }
}

/**
 * Chooses and activates the fastest available TensorFlow.js backend for training:
 *
 * 1. `tensorflow` — native TensorFlow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, if the
 *    user installed one (Node.js only). They are not dependencies of this package (their install downloads
 *    libtensorflow); they are found at run time by a dynamic import that is allowed to fail.
 * 2. `wasm` — `@tensorflow/tfjs-backend-wasm` with the training-kernel pack of this package registered
 *    ({@link registerWasmTrainingKernels}) and its WASM SIMD module loaded ({@link loadWasmSimdKernels}); the
 *    default in Node.js without the native packages, and in browsers.
 * 3. `cpu` — the pure-JS backend: slow, kept as the reference (test oracle) and last resort.
 *
 * On wasm and cpu it also registers the corrected gradient of nearest-neighbour resizing
 * ({@link registerResizeNearestNeighborGradFix}), so that non-private training is right there too.
 *
 * `preferred` moves one backend to the front; the others follow in that order if it is unavailable. The result
 * lists every attempt with the reason it was skipped.
 *
 * @throws Error when no backend could be activated (each attempt's reason in the message).
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const preferred = options.preferred ?? 'tensorflow';
  if (!ORDER.includes(preferred)) {
    throw new RangeError(`preferred: expected one of ${ORDER.join(', ')}, got ${String(preferred)}`);
  }
  const importModule = options.importModule ?? defaultImport;
  const order = [preferred, ...ORDER.filter((name) => name !== preferred)];
  const attempts: BackendAttempt[] = [];
  for (const backend of order) {
    if (backend === 'tensorflow') {
      const result = await tryNative(importModule);
      if ('packageName' in result) {
        attempts.push({ backend, ok: true });
        return { backend, packageName: result.packageName, registeredKernels: [], attempts };
      }
      attempts.push({ backend, ok: false, reason: result.reason });
    } else if (backend === 'wasm') {
      const result = await tryWasm(importModule, options.wasmPaths);
      if ('registeredKernels' in result) {
        attempts.push({ backend, ok: true });
        return {
          backend,
          packageName: '@tensorflow/tfjs-backend-wasm',
          registeredKernels: result.registeredKernels,
          attempts,
        };
      }
      attempts.push({ backend, ok: false, reason: result.reason });
    } else {
      const result = await tryCpu(importModule);
      if ('ok' in result) {
        attempts.push({ backend, ok: true });
        return { backend, packageName: '@tensorflow/tfjs-backend-cpu', registeredKernels: [], attempts };
      }
      attempts.push({ backend, ok: false, reason: result.reason });
    }
  }
  throw new Error(
    `selectBackend: no TensorFlow.js backend could be activated: ${attempts
      .map((a) => `${a.backend} (${a.reason})`)
      .join('; ')}`,
  );
}
