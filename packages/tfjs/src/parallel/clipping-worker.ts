/**
 * Entry of one clipping worker (a `worker_threads` thread with its own tfjs wasm instance): it builds the same
 * model as the main thread, keeps the dataset in shared memory, and per step sets the main thread's weights and
 * returns the clipped gradient sums of its chunks, each computed exactly as the in-process engine computes that
 * chunk. Not part of the public API: started by {@link WorkerClipper}.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../backend/select-backend';
import { computeClippedGradients, type PerExampleLossFn } from '../compute-clipped-gradients';
import { NonFiniteExamplesError } from '../non-finite';
import { collectTrainableLayers } from '../per-example/model-layers';
import type { AnyLayer } from '../per-example/types';
import type {
  BindMessage,
  ChunkResult,
  DataMessage,
  RequestMessage,
  SharedTensor,
  StepMessage,
} from './protocol';

interface UserModule {
  createModel?: () => AnyLayer | Promise<AnyLayer>;
  createLossFn?: () => PerExampleLossFn | Promise<PerExampleLossFn>;
}

interface WorkerState {
  module?: UserModule;
  modulePath?: string;
  lossFn?: PerExampleLossFn;
  model?: AnyLayer;
  weights?: { buffer: Float32Array; variables: tfl.LayerVariable[] };
  trainable?: tfl.LayerVariable[];
  data?: DataMessage;
}

const state: WorkerState = {};
const port = parentPort;
if (port == null) throw new Error('clipping-worker must run in a worker thread');

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

async function load(modelModule: string, backend: Parameters<typeof selectBackend>[0]): Promise<string> {
  const selection = await selectBackend(backend);
  const module = (await import(modelModule)) as UserModule;
  if (typeof module.createLossFn !== 'function') {
    throw new TypeError(
      `modelModule ${modelModule} must export createLossFn(): the per-example loss (yTrue, yPred) => [B]`,
    );
  }
  if (module.createModel !== undefined && typeof module.createModel !== 'function') {
    throw new TypeError(`modelModule ${modelModule}: createModel must be a function returning the model`);
  }
  state.module = module;
  state.modulePath = modelModule;
  state.lossFn = await module.createLossFn();
  if (typeof state.lossFn !== 'function') {
    throw new TypeError(`modelModule ${modelModule}: createLossFn() must return a function`);
  }
  return selection.backend;
}

async function bind(message: BindMessage): Promise<void> {
  const module = state.module as UserModule;
  let model: AnyLayer;
  if (module.createModel !== undefined) {
    model = await module.createModel();
  } else if ('json' in message.modelJson) {
    try {
      model = (await tfl.models.modelFromJSON(JSON.parse(message.modelJson.json))) as unknown as AnyLayer;
    } catch (error) {
      throw new TypeError(
        `the model could not be rebuilt in the worker from model.toJSON() (${(error as Error).message}): ` +
          `a model with custom layers needs modelModule (${state.modulePath}) to export createModel()`,
      );
    }
  } else {
    throw new TypeError(
      `the model cannot be serialised with model.toJSON() (${message.modelJson.error}): ` +
        `modelModule (${state.modulePath}) must export createModel()`,
    );
  }
  state.model?.dispose();
  const weights = (model as unknown as { weights: tfl.LayerVariable[] }).weights;
  const mismatch = (ours: readonly (readonly (number | null)[])[], theirs: readonly (readonly number[])[]) =>
    ours.length !== theirs.length || ours.some((s, i) => shapeText(s) !== shapeText(theirs[i]!));
  if (
    mismatch(
      weights.map((w) => w.shape),
      message.weightShapes,
    )
  ) {
    throw new RangeError(
      `the worker's model has weights ${weights.map((w) => shapeText(w.shape)).join(' ')}, the main thread's ` +
        `${message.weightShapes.map(shapeText).join(' ')}: createModel() must build the same architecture`,
    );
  }
  const trainable = collectTrainableLayers(model).flatMap((e) => e.variables);
  if (
    mismatch(
      trainable.map((v) => v.shape),
      message.trainableShapes,
    )
  ) {
    throw new RangeError(
      "the worker's model has other trainable variables than the main thread's (frozen layers differ?): " +
        'createModel() must build the same model with the same trainable flags',
    );
  }
  state.model = model;
  state.trainable = trainable;
  state.weights = { buffer: new Float32Array(message.weights), variables: weights };
}

function setWeights(): void {
  const { buffer, variables } = state.weights!;
  let offset = 0;
  for (const variable of variables) {
    const size = tf.util.sizeFromShape(variable.shape as number[]);
    const value = tf.tensor(buffer.slice(offset, offset + size), variable.shape as number[], 'float32');
    variable.write(value);
    value.dispose();
    offset += size;
  }
}

/** Rows `indices` of a shared tensor, as a new tensor (the values the main thread's `tf.gather` gives). */
function gatherRows(source: SharedTensor, indices: Int32Array): tf.Tensor {
  const view = source.dtype === 'int32' ? new Int32Array(source.buffer) : new Float32Array(source.buffer);
  const rowSize = tf.util.sizeFromShape(source.shape.slice(1) as number[]);
  const out =
    source.dtype === 'int32'
      ? new Int32Array(indices.length * rowSize)
      : new Float32Array(indices.length * rowSize);
  indices.forEach((row, i) => {
    out.set(view.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  });
  return tf.tensor(out, [indices.length, ...source.shape.slice(1)], source.dtype);
}

function step(message: StepMessage): ChunkResult[] {
  const data = state.data;
  if (state.model == null || data == null) throw new Error('internal: step before bind and data');
  setWeights();
  const results: ChunkResult[] = [];
  for (const [k, indices] of message.chunks.entries()) {
    const xs = data.x.map((t) => gatherRows(t, indices));
    const y = gatherRows(data.y, indices);
    try {
      let clipped: ReturnType<typeof computeClippedGradients>;
      try {
        clipped = computeClippedGradients({
          model: state.model,
          lossFn: state.lossFn!,
          x: data.multiInput ? xs : xs[0]!,
          y,
          clipping: message.clipping,
          perExampleMethod: message.perExampleMethod,
          physicalBatchSize: message.physicalBatchSize,
          nonFinite: message.nonFinite,
          computeLoss: message.computeLoss,
        });
      } catch (error) {
        // Positions in the chunk -> positions in the batch, as the in-process engine reports them.
        if (!(error instanceof NonFiniteExamplesError)) throw error;
        const offset = (message.firstChunk + k) * message.physicalBatchSize;
        throw new NonFiniteExamplesError(
          error.indices.map((i) => i + offset),
          error.parts,
        );
      }
      try {
        // Copies: a backend may hand out its own storage from dataSync, which must not be transferred.
        results.push({
          gradients: state.trainable!.map(
            (v) => new Float32Array(clipped.gradients.get(v.name)!.dataSync() as Float32Array),
          ),
          perLayerNorms: new Float32Array(clipped.perLayerNorms.dataSync() as Float32Array),
          perExampleNorms: new Float32Array(clipped.perExampleNorms.dataSync() as Float32Array),
          clipFactors: new Float32Array(clipped.clipFactors.dataSync() as Float32Array),
          clipFactorsRank: clipped.clipFactors.rank,
          loss: clipped.loss.dataSync()[0]!,
          exampleCount: clipped.exampleCount,
          skippedExamples: clipped.skippedExamples,
        });
      } finally {
        tf.dispose([...clipped.gradients.values()]);
        tf.dispose([clipped.perExampleNorms, clipped.perLayerNorms, clipped.clipFactors, clipped.loss]);
      }
    } finally {
      tf.dispose([...xs, y]);
    }
  }
  return results;
}

async function handle(message: RequestMessage): Promise<void> {
  try {
    switch (message.type) {
      case 'load': {
        const backend = await load(message.modelModule, { preferred: message.backend });
        port!.postMessage({ type: 'done', id: message.id, backend });
        return;
      }
      case 'bind':
        await bind(message);
        break;
      case 'data':
        state.data = message;
        break;
      case 'memory':
        port!.postMessage({ type: 'done', id: message.id, tensors: tf.memory().numTensors });
        return;
      case 'step': {
        const chunks = step(message);
        const transfer = chunks.flatMap((c) => [
          ...c.gradients.map((g) => g.buffer as ArrayBuffer),
          c.perLayerNorms.buffer as ArrayBuffer,
          c.perExampleNorms.buffer as ArrayBuffer,
          c.clipFactors.buffer as ArrayBuffer,
        ]);
        port!.postMessage({ type: 'step', id: message.id, chunks }, transfer);
        return;
      }
    }
    port!.postMessage({ type: 'done', id: message.id });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port!.postMessage({
      type: 'error',
      id: message.id,
      name: e.name,
      message: e.message,
      ...(e instanceof NonFiniteExamplesError
        ? { nonFinite: { indices: [...e.indices], parts: e.parts.map((p) => [...p]) } }
        : {}),
    });
  }
}

// Messages are handled one at a time, in order (a step never overlaps the bind or data before it).
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: RequestMessage) => {
  queue = queue.then(() => handle(message));
});
