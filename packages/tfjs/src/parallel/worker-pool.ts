/**
 * Data parallelism for the clipped per-example gradient sums in Node: a pool of `worker_threads`, each with its
 * own tfjs wasm instance (tfjs wasm in Node is single-threaded), computes the clipped sums of its share of the
 * batch's physical chunks; the main thread adds the chunks' sums in chunk order, exactly as the in-process engine
 * does, so the result is the in-process chunked result bit for bit. Noise and the optimizer stay on the main
 * thread, with the weights.
 */

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBackendName } from '../backend/select-backend';
import type { ClippedGradientsProvider, ClippedGradientsRequest } from '../clipped-gradients-provider';
import { type FlatClipping, type PerLayerClipping, releaseBatch } from '../clipping';
import type { ClippedGradients, PerExampleMethod } from '../compute-clipped-gradients';
import { NonFiniteExamplesError, type NonFinitePolicy } from '../non-finite';
import { collectTrainableLayers } from '../per-example/model-layers';
import type { AnyLayer } from '../per-example/types';
import type { EngineData } from '../training-data';
import { assertInteger, assertOneOf, assertPositive } from '../validate';
import type { ChunkResult, ReplyMessage, RequestMessage, SharedTensor } from './protocol';

/** Options of {@link createWorkerClipper}. */
export interface WorkerClipperOptions {
  /** Worker threads, an integer in [1, 256] (default: the available parallelism, at most 4). */
  readonly workers?: number;
  /**
   * Path or `file:` URL of an ES module the workers import. It must export `createLossFn()` returning the
   * per-example loss (the same as the engine's `lossFn`), and may export `createModel()` returning the same
   * architecture as the trained model (any initial weights: the main thread's are sent every step); without
   * `createModel` the workers rebuild the model from `model.toJSON()`, which works for built-in layers only.
   * Custom layers and their rules (`registerLayerRule`) must be registered by this module when it is imported.
   */
  readonly modelModule: string | URL;
  /** Backend of the workers (default `'wasm'`: the pack of training kernels is registered as by `selectBackend`). */
  readonly backend?: TrainingBackendName;
  /**
   * Milliseconds a worker may take to answer a step (or to receive the model or the dataset) before the pool is
   * stopped and the step rejected (default 600,000).
   */
  readonly timeoutMs?: number;
  /** Milliseconds a worker may take to start and load its backend and the model module (default 120,000). */
  readonly startTimeoutMs?: number;
  /** Extra Node options of the worker threads. */
  readonly execArgv?: readonly string[];
}

interface Pending {
  resolve(reply: ReplyMessage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Where the worker script is: beside this file, `.ts` when running from source (then loaded through tsx). */
function workerScript(): { url: URL; typescript: boolean } {
  const here =
    typeof __filename === 'string' && __filename.length > 0
      ? pathToFileURL(__filename).href
      : import.meta.url;
  const typescript = here.endsWith('.ts');
  return { url: new URL(typescript ? './clipping-worker.ts' : './clipping-worker.js', here), typescript };
}

/** A worker bootstrap that registers tsx's loader before importing the TypeScript worker (source runs only). */
function typescriptBootstrap(url: URL): string {
  let api: string;
  try {
    const require = createRequire(url);
    api = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  } catch {
    throw new Error(
      'running @cnm/tfjs from its TypeScript sources: the clipping workers need the tsx package to load them',
    );
  }
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
}

function moduleUrl(modelModule: string | URL): string {
  if (modelModule instanceof URL) return modelModule.href;
  if (typeof modelModule !== 'string' || modelModule.length === 0) {
    throw new TypeError(
      'modelModule must be a path or file: URL of an ES module exporting createLossFn() (and createModel())',
    );
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(modelModule) && !/^[a-z]:[\\/]/i.test(modelModule)
    ? modelModule
    : pathToFileURL(modelModule).href;
}

function sharedTensor(t: tf.Tensor, name: string): SharedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new TypeError(
      `${name} must be a float32 or int32 tensor to be shared with the workers, got ${t.dtype}`,
    );
  }
  const values = t.dataSync() as Float32Array | Int32Array;
  const buffer = new SharedArrayBuffer(values.byteLength);
  (t.dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer)).set(values);
  return { buffer, shape: [...t.shape], dtype: t.dtype };
}

/**
 * A {@link ClippedGradientsProvider} that computes the clipped per-example gradient sums in worker threads.
 * Made by {@link createWorkerClipper}; give it to the engine as the option `clippedGradients`, or call
 * {@link WorkerClipper.compute} directly. One clipper serves one model (the first it is asked about).
 *
 * Chunking: the batch is cut into physical chunks of `physicalBatchSize` examples (default
 * `ceil(batch / workers)`: one chunk per worker), the last one padded as in-process; worker `w` computes a
 * contiguous run of chunks; the sums are added on the main thread in chunk order. The result equals
 * `computeClippedGradients` with the same `physicalBatchSize` on the same backend bit for bit, except the mean
 * loss, which is combined from the chunks' means (equal up to float rounding).
 */
export class WorkerClipper implements ClippedGradientsProvider {
  /** Number of worker threads. */
  readonly workerCount: number;
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  readonly #loaded: Promise<string>;
  #nextId = 0;
  #live = 0;
  #broken: Error | undefined;
  #disposed: Promise<void> | undefined;
  #model: AnyLayer | undefined;
  #weights: Float32Array | undefined;
  #data: EngineData | undefined;
  #backend: string | undefined;
  #computing = false;

  /** Use {@link createWorkerClipper}. */
  constructor(options: WorkerClipperOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism()));
    assertInteger('workers', workers, 1, 256);
    if (options.modelModule === undefined) {
      throw new TypeError(
        'modelModule is required: the path of an ES module exporting createLossFn() (and createModel() for custom layers)',
      );
    }
    const modelModule = moduleUrl(options.modelModule);
    const timeoutMs = options.timeoutMs ?? 600_000;
    assertPositive('timeoutMs', timeoutMs);
    const startTimeoutMs = options.startTimeoutMs ?? 120_000;
    assertPositive('startTimeoutMs', startTimeoutMs);
    const backend = options.backend ?? 'wasm';
    assertOneOf('backend', backend, ['wasm', 'cpu', 'tensorflow'] as const);
    this.workerCount = workers;
    this.#timeoutMs = timeoutMs;
    const script = workerScript();
    const execArgv = [
      ...(options.execArgv ?? []),
      ...(script.typescript ? ['--conditions=@cnm/source'] : []),
    ];
    for (let w = 0; w < workers; w++) {
      const worker = script.typescript
        ? new Worker(typescriptBootstrap(script.url), { eval: true, execArgv })
        : new Worker(script.url, { execArgv });
      this.#live++;
      worker.on('message', (reply: ReplyMessage) => this.#answer(reply));
      worker.on('error', (error) => this.#fail(new Error(`clipping worker ${w} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        this.#live--;
        if (this.#disposed === undefined)
          this.#fail(new Error(`clipping worker ${w} exited unexpectedly (exit code ${code})`));
      });
      this.#workers.push(worker);
    }
    this.#loaded = Promise.all(
      this.#workers.map((_, w) =>
        this.#request(w, { type: 'load', id: 0, backend, modelModule }, [], startTimeoutMs),
      ),
    ).then(
      (replies) => {
        this.#backend = replies[0]?.type === 'done' ? replies[0].backend : undefined;
        this.#idle();
        return this.#backend ?? backend;
      },
      (error: unknown) => {
        this.#idle();
        throw error;
      },
    );
    // A load failure is reported by ready() and compute(); never as an unhandled rejection.
    this.#loaded.catch(() => {});
  }

  /** Worker threads still running (0 after {@link WorkerClipper.dispose}). */
  get liveWorkers(): number {
    return this.#live;
  }

  /** Live tensors in each worker's tfjs engine (flat over steps: no leak), after the running request. */
  async workerTensorCounts(): Promise<number[]> {
    await this.#loaded;
    const replies = await this.#all(this.#workers.map(() => ({ type: 'memory' as const, id: 0 })));
    return replies.map((r) => (r.type === 'done' ? (r.tensors ?? Number.NaN) : Number.NaN));
  }

  /** Resolves with the workers' tfjs backend once every worker has loaded it and the model module. */
  ready(): Promise<string> {
    return this.#loaded;
  }

  #idle(): void {
    // Idle workers must not keep the process alive; a running request does (see #request).
    if (this.#pending.size === 0) for (const worker of this.#workers) worker.unref();
  }

  #answer(reply: ReplyMessage): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.type === 'error') {
      const error =
        reply.nonFinite !== undefined
          ? new NonFiniteExamplesError(reply.nonFinite.indices, reply.nonFinite.parts)
          : reply.name === 'RangeError'
            ? new RangeError(reply.message)
            : reply.name === 'TypeError'
              ? new TypeError(reply.message)
              : new Error(reply.message);
      pending.reject(error);
    } else pending.resolve(reply);
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
    // A worker that crashed or hangs cannot be trusted with the next step: stop them all.
    void this.dispose();
  }

  #request(
    worker: number,
    message: RequestMessage,
    transfer: ArrayBuffer[] = [],
    timeoutMs = this.#timeoutMs,
  ): Promise<ReplyMessage> {
    if (this.#broken !== undefined) {
      return Promise.reject(new Error(`the worker pool is unusable: ${this.#broken.message}`));
    }
    const id = ++this.#nextId;
    return new Promise<ReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new Error(
            `clipping worker ${worker} did not answer '${message.type}' within ${timeoutMs} ms ` +
              `(${message.type === 'load' ? 'startTimeoutMs' : 'timeoutMs'}); the pool was stopped`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      const target = this.#workers[worker]!;
      target.ref();
      target.postMessage({ ...message, id }, transfer);
    });
  }

  async #all(messages: (RequestMessage | undefined)[]): Promise<ReplyMessage[]> {
    try {
      const settled = await Promise.allSettled(
        messages.map((m, w) => (m === undefined ? undefined : this.#request(w, m))),
      );
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      return settled.map((s) => (s as PromiseFulfilledResult<ReplyMessage>).value);
    } finally {
      this.#idle();
    }
  }

  async #bind(model: AnyLayer): Promise<void> {
    const weights = (model as unknown as { weights: { shape: number[] }[] }).weights;
    let modelJson: { json: string } | { error: string };
    try {
      const json = (model as unknown as { toJSON(u: null, s: boolean): unknown }).toJSON(null, false);
      modelJson = { json: JSON.stringify(json) };
    } catch (error) {
      modelJson = { error: (error as Error).message };
    }
    const total = weights.reduce((s, w) => s + tf.util.sizeFromShape(w.shape), 0);
    const buffer = new SharedArrayBuffer(total * 4);
    const trainableShapes = collectTrainableLayers(model).flatMap((e) =>
      e.variables.map((v) => [...v.shape] as number[]),
    );
    await this.#all(
      this.#workers.map(() => ({
        type: 'bind' as const,
        id: 0,
        modelJson,
        weightShapes: weights.map((w) => [...w.shape]),
        trainableShapes,
        weights: buffer,
      })),
    );
    this.#model = model;
    this.#weights = new Float32Array(buffer);
  }

  async #sendData(data: EngineData): Promise<void> {
    const multiInput = Array.isArray(data.x);
    const inputs = Array.isArray(data.x) ? data.x : [data.x];
    const x = inputs.map((t, i) => sharedTensor(t, multiInput ? `data.x[${i}]` : 'data.x'));
    const y = sharedTensor(data.y, 'data.y');
    await this.#all(this.#workers.map(() => ({ type: 'data' as const, id: 0, x, multiInput, y })));
    this.#data = data;
  }

  /**
   * The clipped sums of the batch `request.indices` of `request.data`, computed by the workers (see the class
   * comment for the chunking). The first call sends the model and the dataset; later calls with the same
   * dataset object send only the weights. Rejects with the worker's error message if a worker fails, and
   * stops the pool if a worker crashes or exceeds `timeoutMs`.
   */
  async compute(request: ClippedGradientsRequest): Promise<ClippedGradients> {
    if (this.#broken !== undefined) throw new Error(`the worker pool is unusable: ${this.#broken.message}`);
    if (request === null || typeof request !== 'object' || request.model == null || request.data == null) {
      throw new TypeError('request must hold model, data, indices and clipping');
    }
    // The clipping is checked where it enters (the engine's configuration), and again by each worker's
    // computeClippedGradients for a direct call.
    const { model, data, clipping } = request;
    const method: PerExampleMethod = request.perExampleMethod ?? 'bookkeeping';
    const size = data.y.shape[0] ?? 0;
    const indices = Int32Array.from(request.indices as ArrayLike<number>);
    if (indices.length === 0) throw new RangeError('indices must name at least one example');
    for (const [k, i] of indices.entries()) {
      if (i < 0 || i >= size || i !== (request.indices as ArrayLike<number>)[k]) {
        throw new RangeError(
          `indices[${k}] must be an integer in [0, ${size - 1}], got ${String(request.indices[k])}`,
        );
      }
    }
    const physical = request.physicalBatchSize ?? Math.ceil(indices.length / this.workerCount);
    assertInteger('physicalBatchSize', physical, 1);
    // The weights buffer is shared by the workers of one request: one computation at a time.
    if (this.#computing)
      throw new Error('a compute() of this WorkerClipper is already running: await it first');
    this.#computing = true;
    try {
      return await this.#computeNow(model, data, clipping, method, indices, physical, {
        nonFinite: request.nonFinite ?? 'error',
        computeLoss: request.computeLoss ?? true,
      });
    } finally {
      this.#computing = false;
    }
  }

  async #computeNow(
    model: AnyLayer,
    data: EngineData,
    clipping: ClippedGradientsRequest['clipping'],
    method: PerExampleMethod,
    indices: Int32Array,
    physical: number,
    policy: { readonly nonFinite: NonFinitePolicy; readonly computeLoss: boolean },
  ): Promise<ClippedGradients> {
    await this.#loaded;
    if (this.#model === undefined) await this.#bind(model);
    else if (this.#model !== model) {
      throw new Error('this WorkerClipper serves another model: make one clipper per model');
    }
    if (this.#data !== data) await this.#sendData(data);

    // Adaptive clipping: the workers clip at the current threshold; the state is updated here, once per batch.
    const workerClipping: FlatClipping | PerLayerClipping =
      clipping.mode === 'adaptive' ? { mode: 'flat', maxGradNorm: clipping.state.maxGradNorm } : clipping;

    const buffer = this.#weights!;
    let offset = 0;
    for (const w of (model as unknown as { weights: { read(): tf.Tensor }[] }).weights) {
      const values = w.read().dataSync() as Float32Array;
      buffer.set(values, offset);
      offset += values.length;
    }
    const chunkCount = Math.ceil(indices.length / physical);
    const chunks = Array.from({ length: chunkCount }, (_, c) =>
      indices.slice(c * physical, Math.min((c + 1) * physical, indices.length)),
    );
    const messages = this.#workers.map((_, w) => {
      const firstChunk = Math.floor((w * chunkCount) / this.workerCount);
      const mine = chunks.slice(firstChunk, Math.floor(((w + 1) * chunkCount) / this.workerCount));
      return mine.length === 0
        ? undefined
        : {
            type: 'step' as const,
            id: 0,
            chunks: mine,
            physicalBatchSize: physical,
            clipping: workerClipping,
            perExampleMethod: method,
            firstChunk,
            ...policy,
          };
    });
    const replies = await this.#all(messages);
    const results: ChunkResult[] = replies.flatMap((r) => (r?.type === 'step' ? r.chunks : []));
    if (results.length !== chunkCount)
      throw new Error(`internal: ${results.length} of ${chunkCount} chunks came back`);
    return this.#assemble(model, results, clipping, indices.length, policy.computeLoss);
  }

  #assemble(
    model: AnyLayer,
    results: ChunkResult[],
    clipping: ClippedGradientsRequest['clipping'],
    size: number,
    computeLoss: boolean,
  ): ClippedGradients {
    const entries = collectTrainableLayers(model);
    const variables = entries.flatMap((e) => e.variables);
    const layerNames = entries.map((e) => e.layer.name);
    const layers = layerNames.length;
    const concat = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const gradients = new Map<string, tf.Tensor>();
    variables.forEach((v, k) => {
      const shape = v.shape as number[];
      // In chunk order, as the in-process loop adds them.
      let sum = tf.tensor(results[0]!.gradients[k]!, shape, 'float32');
      for (const r of results.slice(1)) {
        const part = tf.tensor(r.gradients[k]!, shape, 'float32');
        const next = tf.add(sum, part);
        sum.dispose();
        part.dispose();
        sum = next;
      }
      gradients.set(v.name, sum);
    });
    const perExample = concat(results.map((r) => r.perExampleNorms));
    const perLayerNorms = tf.tensor2d(concat(results.map((r) => r.perLayerNorms)), [size, layers]);
    const perExampleNorms = tf.tensor1d(perExample);
    const factorRank = results[0]!.clipFactorsRank;
    const clipFactors = tf.tensor(
      concat(results.map((r) => r.clipFactors)),
      factorRank === 1 ? [size] : [size, layers],
    );
    const exampleCount = results.reduce((s, r) => s + r.exampleCount, 0);
    const skippedExamples = results.reduce((s, r) => s + r.skippedExamples, 0);
    const kept = exampleCount - skippedExamples;
    // A chunk whose examples were all skipped has a NaN mean and no weight.
    const lossSum = results.reduce(
      (s, r) =>
        r.exampleCount === r.skippedExamples ? s : s + r.loss * (r.exampleCount - r.skippedExamples),
      0,
    );
    const loss = tf.scalar(computeLoss && kept > 0 ? lossSum / kept : Number.NaN);
    // Every example of a request is real (the workers get no padding); a skipped one has clip factor 0 (a real
    // example's factor is otherwise > 0) and is not counted, as in-process.
    const released = releaseBatch(
      clipping,
      perExample,
      clipping.mode === 'adaptive' ? Int32Array.from(clipFactors.dataSync(), (f) => (f !== 0 ? 1 : 0)) : [],
      kept,
    );
    return {
      gradients,
      perExampleNorms,
      perLayerNorms,
      clipFactors,
      layerNames,
      loss,
      exampleCount,
      skippedExamples,
      ...released,
    };
  }

  /** Terminates the workers; pending requests are rejected. Safe to call more than once. */
  dispose(): Promise<void> {
    if (this.#disposed === undefined) {
      this.#broken ??= new Error('the pool was disposed');
      for (const [id, pending] of this.#pending) {
        clearTimeout(pending.timer);
        this.#pending.delete(id);
        pending.reject(new Error('the worker pool was disposed during the request'));
      }
      this.#disposed = Promise.all(this.#workers.map((w) => w.terminate())).then(() => undefined);
    }
    return this.#disposed;
  }
}

/**
 * Starts a pool of clipping workers (Node only): pass the result as the engine option `clippedGradients`
 * so the privacy engine computes its clipped gradient sums on several cores, and `dispose()` it when done.
 *
 * @example
 * ```ts
 * const clipper = createWorkerClipper({ workers: 2, modelModule: new URL('./model.js', import.meta.url) });
 * const trainer = new PrivacyEngine().makePrivate({ ...options, clippedGradients: clipper });
 * try { await trainer.fit(); } finally { await clipper.dispose(); }
 * ```
 */
export function createWorkerClipper(options: WorkerClipperOptions): WorkerClipper {
  return new WorkerClipper(options);
}
