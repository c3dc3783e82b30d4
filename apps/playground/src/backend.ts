import { type BackendSelection, selectBackend, type TrainingBackendName } from '@cnm/tfjs';
// The wasm binaries, emitted by Vite as assets of this page and served next to it (no CDN).
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backend choices of the page: automatic (WebGPU, WebGL, wasm, cpu) or one to try first. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** One of {@link BACKEND_CHOICES}. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Where tfjs finds each wasm binary: the URLs Vite gave the page's own copies. */
export const WASM_PATHS: Record<string, string> = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
};

/** Activates a backend for the choice, with the reasons for the ones skipped. */
export function chooseBackend(choice: BackendChoice): Promise<BackendSelection> {
  return selectBackend({
    wasmPaths: WASM_PATHS,
    ...(choice === 'auto' ? {} : { preferred: choice as TrainingBackendName }),
  });
}

/** One line per backend tried: what was chosen and why the others were not. */
export function describeSelection(selection: BackendSelection): string[] {
  return selection.attempts.map((attempt) =>
    attempt.ok ? `${attempt.backend}: chosen` : `${attempt.backend}: skipped (${attempt.reason})`,
  );
}
