import * as tf from '@tensorflow/tfjs-core';
import { registerKernelFixes } from '../wasm-kernels/kernel-fixes';
import { registerWasmTrainingKernels } from '../wasm-kernels/register-wasm-training-kernels';
import { loadWasmSimdKernels } from '../wasm-kernels/simd-kernels';
import { recordBackendChoice, trackBackendChoice } from './backend-choice';
import { refusedBackendReason } from './refused-backends';

/** Backends `selectBackend` can choose, in the order it tries them. */
export type TrainingBackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * The backend to try first; the others follow in the order tensorflow, webgpu, webgl, wasm, cpu. Default:
   * `'tensorflow'` (native TensorFlow when `@tensorflow/tfjs-node` or `-gpu` is installed; in a browser WebGPU,
   * then WebGL, then wasm).
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
  /**
   * Problems a user should see: the wasm backend failed (in a browser: its `.wasm` binaries were not served) and
   * training fell back to the pure-JS cpu backend (about 11× slower), or to another backend than the preferred
   * wasm. Empty when there are none.
   */
  warnings: string[];
}

const ORDER: readonly TrainingBackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

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
    case '@tensorflow/tfjs-backend-webgl':
      return import('@tensorflow/tfjs-backend-webgl');
    case '@tensorflow/tfjs-backend-webgpu':
      return import('@tensorflow/tfjs-backend-webgpu');
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

/** Why a GPU backend cannot exist here, or undefined when the browser offers its API. */
function missingGpuApi(backend: 'webgpu' | 'webgl'): string | undefined {
  const scope = globalThis as {
    navigator?: { gpu?: unknown };
    document?: unknown;
    OffscreenCanvas?: unknown;
  };
  if (backend === 'webgpu') {
    return scope.navigator?.gpu === undefined ? 'WebGPU is not available here (no navigator.gpu)' : undefined;
  }
  return scope.document === undefined && scope.OffscreenCanvas === undefined
    ? 'WebGL needs a browser (no document or OffscreenCanvas)'
    : undefined;
}

/** The WebGL renderer's name when it is a software rasteriser (SwiftShader, llvmpipe), else undefined. */
function softwareWebGlRenderer(): string | undefined {
  type Gl = { getExtension(name: string): unknown; getParameter(parameter: number): unknown };
  const scope = globalThis as {
    document?: { createElement?(tag: 'canvas'): { getContext?(kind: string): Gl | null } };
  };
  const gl = scope.document?.createElement?.('canvas').getContext?.('webgl2');
  if (gl == null) return undefined;
  // UNMASKED_RENDERER_WEBGL of WEBGL_debug_renderer_info; newer browsers also report it as RENDERER (0x1f01).
  const renderer = String(
    gl.getExtension('WEBGL_debug_renderer_info') ? gl.getParameter(0x9246) : gl.getParameter(0x1f01),
  );
  return /swiftshader|llvmpipe|software/i.test(renderer) ? renderer : undefined;
}

async function tryGpu(
  backend: 'webgpu' | 'webgl',
  importModule: (specifier: string) => Promise<unknown>,
  preferred: boolean,
): Promise<{ ok: true } | { reason: string }> {
  const missing = missingGpuApi(backend) ?? refusedBackendReason(backend);
  if (missing !== undefined) return { reason: missing };
  const software = backend === 'webgl' && !preferred ? softwareWebGlRenderer() : undefined;
  if (software !== undefined) {
    return {
      reason: `WebGL is software-rendered here (${software}): far slower than wasm (pass preferred: 'webgl' to use it anyway)`,
    };
  }
  try {
    await importModule(`@tensorflow/tfjs-backend-${backend}`);
    if (await tf.setBackend(backend)) return { ok: true };
    return {
      reason:
        backend === 'webgpu'
          ? 'the webgpu backend failed to initialise (no GPU adapter)'
          : 'the webgl backend failed to initialise (no WebGL context)',
    };
  } catch (error) {
    return { reason: describe(error) };
  }
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
      registerKernelFixes();
      return { registeredKernels };
    }
    return {
      reason:
        'the wasm backend failed to initialise: its .wasm binary was not found (serve the tfjs-backend-wasm*.wasm files and pass wasmPaths) or WebAssembly is unavailable',
    };
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
      registerKernelFixes();
      return { ok: true };
    }
    return { reason: 'the cpu backend failed to initialise' };
  } catch (error) {
    return { reason: describe(error) };
  }
}

/**
 * A failed wasm backend is worth a visible warning when training falls back to cpu (about 11× slower) or when
 * wasm was asked for: in a browser it usually means the `.wasm` binaries are not served.
 */
function wasmFallbackWarnings(attempts: readonly BackendAttempt[], chosen: TrainingBackendName): string[] {
  const wasm = attempts.find((attempt) => attempt.backend === 'wasm' && !attempt.ok);
  if (wasm === undefined || (chosen !== 'cpu' && attempts[0]?.backend !== 'wasm')) return [];
  const slower = chosen === 'cpu' ? ' (about 11× slower)' : '';
  return [`wasm backend unavailable, training on the ${chosen} backend instead${slower}: ${wasm.reason}`];
}

/**
 * Chooses and activates the fastest available TensorFlow.js backend for training:
 *
 * 1. `tensorflow` — native TensorFlow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, if the
 *    user installed one (Node.js only). They are not dependencies of this package (their install downloads
 *    libtensorflow); they are found at run time by a dynamic import that is allowed to fail.
 * 2. `webgpu` — `@tensorflow/tfjs-backend-webgpu`, in browsers that offer WebGPU and a GPU adapter, unless the
 *    per-example engine refuses it ({@link REFUSED_BACKENDS}: tfjs 4.22.0's webgpu backend is refused, and
 *    skipped here without being initialised).
 * 3. `webgl` — `@tensorflow/tfjs-backend-webgl`, in browsers with a WebGL context; skipped when the context is
 *    software-rendered (SwiftShader or llvmpipe, as in headless browsers without a GPU: there it trains the
 *    benchmark CNN about 50× slower than wasm) unless it is the preferred backend.
 * 4. `wasm` — `@tensorflow/tfjs-backend-wasm` with the training-kernel pack of this package registered
 *    ({@link registerWasmTrainingKernels}) and its WASM SIMD module loaded ({@link loadWasmSimdKernels}); the
 *    default in Node.js without the native packages. In a browser its `.wasm` binaries must be served (see
 *    `wasmPaths`); when they are missing and the cpu backend is chosen instead, `warnings` says so.
 * 5. `cpu` — the pure-JS backend: slow, kept as the reference (test oracle) and last resort.
 *
 * On wasm and cpu it also registers the corrected gradient kernels ({@link registerKernelFixes}:
 * nearest-neighbour resizing, 3-D max pooling, and on wasm max pooling and Conv3D), so that non-private
 * training is right there too.
 *
 * `preferred` moves one backend to the front; the others follow in that order if it is unavailable. The result
 * lists every attempt with the reason it was skipped. The backend chosen counts as the user's choice: training on
 * cpu after `selectBackend()` chose it does not warn (see `makePrivate`).
 *
 * @throws Error when no backend could be activated (each attempt's reason in the message).
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const preferred = options.preferred ?? 'tensorflow';
  if (!ORDER.includes(preferred)) {
    throw new RangeError(`preferred: expected one of ${ORDER.join(', ')}, got ${String(preferred)}`);
  }
  trackBackendChoice();
  const selection = await select(preferred, options);
  recordBackendChoice(selection.backend);
  return selection;
}

async function select(
  preferred: TrainingBackendName,
  options: SelectBackendOptions,
): Promise<BackendSelection> {
  const importModule = options.importModule ?? defaultImport;
  const order = [preferred, ...ORDER.filter((name) => name !== preferred)];
  const attempts: BackendAttempt[] = [];
  for (const backend of order) {
    if (backend === 'tensorflow') {
      const result = await tryNative(importModule);
      if ('packageName' in result) {
        attempts.push({ backend, ok: true });
        return { backend, packageName: result.packageName, registeredKernels: [], attempts, warnings: [] };
      }
      attempts.push({ backend, ok: false, reason: result.reason });
    } else if (backend === 'webgpu' || backend === 'webgl') {
      const result = await tryGpu(backend, importModule, backend === preferred);
      if ('ok' in result) {
        attempts.push({ backend, ok: true });
        return {
          backend,
          packageName: `@tensorflow/tfjs-backend-${backend}`,
          registeredKernels: [],
          attempts,
          warnings: wasmFallbackWarnings(attempts, backend),
        };
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
          warnings: [],
        };
      }
      attempts.push({ backend, ok: false, reason: result.reason });
    } else {
      const result = await tryCpu(importModule);
      if ('ok' in result) {
        attempts.push({ backend, ok: true });
        return {
          backend,
          packageName: '@tensorflow/tfjs-backend-cpu',
          registeredKernels: [],
          attempts,
          warnings: wasmFallbackWarnings(attempts, backend),
        };
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
