/**
 * Whether the active tfjs backend was chosen, and the checks a private run makes before training: a clear error,
 * naming what to call, when no backend can be initialised, and a one-time warning when training runs on the cpu
 * backend that nothing chose (the one `@cnm/tfjs` registers so that models work on import, about 11× slower than
 * wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What is known about the choice of backend, kept on tfjs's engine (one per process, like the engine itself). */
interface ChoiceState {
  /** The backend last set by a call of `tf.setBackend` or {@link selectBackend} (not tfjs's own choice). */
  explicit: string | undefined;
  /** Set while tfjs picks a backend itself (the sync `engine.backend` path); consumed by its `setBackend`. */
  autoPending: boolean;
  /** `tf.ready()` calls under way: tfjs picks a backend itself there too. */
  readying: number;
  /** Whether the cpu warning was given. */
  warned: boolean;
}

/** The engine methods through which every backend choice goes (tfjs-core 4.22.0). */
interface EngineMethods {
  backendName: string | null | undefined;
  setBackend(name: string): Promise<boolean>;
  getSortedBackends(): string[];
  ready(): Promise<void>;
  readonly backend: unknown;
}

const STATE = Symbol.for('@cnm/tfjs backend choice');

type TrackedEngine = EngineMethods & { [STATE]?: ChoiceState };

/**
 * Starts recording which backend is chosen explicitly: `tf.setBackend(name)` (and {@link selectBackend}, which calls
 * it) against tfjs's own choice when a tensor is made or `tf.ready()` is awaited without one. Idempotent. A backend
 * already active when this runs counts as chosen (nothing can tell otherwise).
 */
export function trackBackendChoice(): void {
  const engine = tf.engine() as unknown as TrackedEngine;
  if (engine[STATE] !== undefined) return;
  const active = engine.backendName;
  const state: ChoiceState = {
    explicit: active == null ? undefined : active,
    autoPending: false,
    readying: 0,
    warned: false,
  };
  engine[STATE] = state;
  const { setBackend, getSortedBackends, ready } = engine;
  // tfjs's own choice lists the backends by priority first, then sets the best one: synchronously when a tensor
  // needs a backend, after awaiting their initialisation in `ready()`.
  engine.getSortedBackends = function (this: EngineMethods) {
    const sorted = getSortedBackends.call(this);
    state.autoPending = true;
    queueMicrotask(() => {
      state.autoPending = false;
    });
    return sorted;
  };
  engine.ready = async function (this: EngineMethods) {
    state.readying++;
    try {
      return await ready.call(this);
    } finally {
      state.readying--;
    }
  };
  engine.setBackend = function (this: EngineMethods, name: string) {
    const auto = state.autoPending || state.readying > 0;
    state.autoPending = false;
    if (!auto) state.explicit = name;
    return setBackend.call(this, name);
  };
}

function stateOf(): ChoiceState | undefined {
  return (tf.engine() as unknown as TrackedEngine)[STATE];
}

/** Records a backend chosen by {@link selectBackend} (also when the engine is not tracked). */
export function recordBackendChoice(name: string): void {
  const state = stateOf();
  if (state !== undefined) state.explicit = name;
}

/** What to call, in the errors and the warning. */
const WHAT_TO_CALL =
  "call `await selectBackend()` from @cnm/tfjs (the fastest backend available: native, WebGL, wasm, then cpu) before building the model, or import a tfjs backend package and `await tf.setBackend('<name>')`";

/**
 * The active backend's name, initialising tfjs's best registered backend if none is active yet. Where none can be
 * initialised (none registered, e.g. a second copy of tfjs-core that `@cnm/tfjs` did not register its cpu backend
 * in, or all failing), throws an error that names what to call instead of tfjs's "No backend found in registry".
 */
export function activeBackend(): string {
  const engine = tf.engine() as unknown as EngineMethods;
  try {
    void engine.backend;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      /No backend found in registry/.test(reason)
        ? `no TensorFlow.js backend is registered: ${WHAT_TO_CALL}`
        : `no TensorFlow.js backend could be initialised (${reason}): ${WHAT_TO_CALL}`,
      { cause: error },
    );
  }
  return tf.getBackend();
}

/**
 * The check before a private run trains: a backend is active ({@link activeBackend}), and when it is the cpu backend
 * that neither `tf.setBackend('cpu')` nor {@link selectBackend} chose, a warning (`console.warn`, once per process)
 * that it is about 11× slower and what to call.
 */
export function checkTrainingBackend(): void {
  const name = activeBackend();
  const state = stateOf();
  if (name !== 'cpu' || state === undefined || state.warned || state.explicit === 'cpu') return;
  state.warned = true;
  console.warn(
    "@cnm/tfjs: training on tfjs's pure-JS cpu backend, which @cnm/tfjs registers so that models work on import; " +
      'it is about 11× slower than the wasm backend. Call `await selectBackend()` from @cnm/tfjs before training ' +
      "to use the fastest backend available (or `await tf.setBackend('cpu')` to keep cpu and silence this warning).",
  );
}
