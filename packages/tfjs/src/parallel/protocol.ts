/**
 * Messages between the worker pool (main thread) and its clipping workers. Everything in them is structured-
 * cloneable: shared buffers for the dataset and the weights (written once, read by every worker), plain arrays
 * for the results (their buffers transferred back).
 */

import type { TrainingBackendName } from '../backend/select-backend';
import type { FlatClipping, PerLayerClipping } from '../clipping';
import type { PerExampleMethod } from '../compute-clipped-gradients';
import type { NonFinitePart, NonFinitePolicy } from '../non-finite';

/** A tensor held in a `SharedArrayBuffer`, leading axis = examples. */
export interface SharedTensor {
  readonly buffer: SharedArrayBuffer;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

/** Loads the backend and the user's module. */
export interface LoadMessage {
  readonly type: 'load';
  readonly id: number;
  readonly backend: TrainingBackendName;
  readonly modelModule: string;
}

/** Builds the model the pool is bound to (from the module's `createModel`, else from `modelJson`). */
export interface BindMessage {
  readonly type: 'bind';
  readonly id: number;
  /** `model.toJSON()` of the main thread's model, or why it could not be serialised. */
  readonly modelJson: { readonly json: string } | { readonly error: string };
  /** Shapes of every model weight, in `model.weights` order. */
  readonly weightShapes: readonly (readonly number[])[];
  /** Shapes of the trainable variables, in the per-example engine's order. */
  readonly trainableShapes: readonly (readonly number[])[];
  /** All weights, concatenated in `model.weights` order; rewritten by the main thread before each step. */
  readonly weights: SharedArrayBuffer;
}

/** The training set, sent once per dataset. */
export interface DataMessage {
  readonly type: 'data';
  readonly id: number;
  readonly x: readonly SharedTensor[];
  readonly multiInput: boolean;
  readonly y: SharedTensor;
}

/** One step: the worker's chunks, each a list of example indices. */
export interface StepMessage {
  readonly type: 'step';
  readonly id: number;
  readonly chunks: readonly Int32Array[];
  readonly physicalBatchSize: number;
  readonly clipping: FlatClipping | PerLayerClipping;
  readonly perExampleMethod: PerExampleMethod;
  /** Index of the worker's first chunk in the batch (positions of non-finite examples are batch positions). */
  readonly firstChunk: number;
  readonly nonFinite: NonFinitePolicy;
  readonly computeLoss: boolean;
}

/** Asks for the worker's live tensor count (leak checks). */
export interface MemoryMessage {
  readonly type: 'memory';
  readonly id: number;
}

/** What the main thread sends. */
export type RequestMessage = LoadMessage | BindMessage | DataMessage | StepMessage | MemoryMessage;

/** The clipped-gradient result of one physical chunk. */
export interface ChunkResult {
  /** Clipped sums per trainable variable, in the engine's variable order. */
  readonly gradients: Float32Array[];
  /** `[count, L]` per-layer norms, row-major. */
  readonly perLayerNorms: Float32Array;
  /** `[count]` whole-gradient norms. */
  readonly perExampleNorms: Float32Array;
  /** `[count]` or `[count, L]` clip factors. */
  readonly clipFactors: Float32Array;
  /** Rank of the clip factors (1 or 2). */
  readonly clipFactorsRank: number;
  /** Mean loss of the chunk's finite examples. */
  readonly loss: number;
  /** Examples in the chunk. */
  readonly exampleCount: number;
  /** Examples left out as non-finite (`nonFinite: 'skip'`). */
  readonly skippedExamples: number;
}

/** Answers of a worker. */
export type ReplyMessage =
  | { readonly type: 'done'; readonly id: number; readonly backend?: string; readonly tensors?: number }
  | { readonly type: 'step'; readonly id: number; readonly chunks: ChunkResult[] }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly name: string;
      readonly message: string;
      /** A `NonFiniteExamplesError`'s batch positions and parts. */
      readonly nonFinite?: { readonly indices: number[]; readonly parts: NonFinitePart[][] };
    };
