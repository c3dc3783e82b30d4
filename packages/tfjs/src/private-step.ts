/**
 * One private step of a run: the clipped per-example gradient sums of the batch (computed here or given by a
 * `clippedGradients` provider), the noisy update, the budget error a step refuses with, and the naming of the step
 * and the examples of a failing batch.
 */
import type { DpAdamBc, DpSgd, DpTfjsOptimizer } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import { stepHookOf } from './audit/step-hook';
import { checkTrainingBackend } from './backend/backend-choice';
import type { ClippedGradientsRequest } from './clipped-gradients-provider';
import type { ClippingOptions } from './clipping';
import {
  type ClippedGradients,
  computeClippedGradients,
  type PerExampleLossFn,
} from './compute-clipped-gradients';
import { NonFiniteExamplesError } from './non-finite';
import type { AnyLayer } from './per-example/types';
import { type BatchAccuracy, batchAccuracy, type TrainingAccuracy } from './training-accuracy';
import type { EngineData } from './training-data';

/** Thrown by {@link PrivateTrainer.step} when the step would take epsilon above the budget. */
export class BudgetExceededError extends RangeError {
  /** Steps taken when the step was refused. */
  readonly steps: number;
  /** Epsilon spent so far. */
  readonly epsilon: number;

  /** @param message - Why; `steps` and `epsilon` describe where training stopped. */
  constructor(message: string, steps: number, epsilon: number) {
    super(message);
    this.name = 'BudgetExceededError';
    this.steps = steps;
    this.epsilon = epsilon;
  }
}

/**
 * Runs `compute` (the clipped sums of step `step`, sync or async), naming the step and the training set's
 * indices of the batch `indices` in a {@link NonFiniteExamplesError}.
 */
export function atStep<T>(step: number, indices: ArrayLike<number>, compute: () => T): T {
  const rename = (error: unknown): never => {
    throw error instanceof NonFiniteExamplesError ? error.atStep(step, indices) : error;
  };
  try {
    const result = compute();
    return (result instanceof Promise ? result.catch(rename) : result) as T;
  } catch (error) {
    return rename(error);
  }
}

/** What a step reads of its run. */
export interface StepContext {
  /** The model trained. */
  readonly model: AnyLayer;
  /** The per-example loss. */
  readonly lossFn: PerExampleLossFn;
  /** The private optimizer. */
  readonly optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer;
  /** The run's clipping. */
  readonly clipping: ClippingOptions;
  /** The public normaliser of the noisy sum (the expected batch size, or 1). */
  readonly normaliser: number;
  /** Whether the batch's mean training loss is read. */
  readonly reportTrainingLoss: boolean;
  /**
   * The accuracy metric declared in `metrics`, measured on the batch before the update (like tfjs's `acc`) when
   * the training loss is reported; undefined otherwise.
   */
  readonly trainingAccuracy: TrainingAccuracy | undefined;
  /** How a batch is clipped (the same in this thread and in a provider). */
  readonly clippingOptions: Pick<
    ClippedGradientsRequest,
    'clipping' | 'perExampleMethod' | 'physicalBatchSize' | 'nonFinite' | 'computeLoss'
  >;
}

/** The batch of one step. */
export interface StepBatch {
  /** The step's number (1-based). */
  readonly step: number;
  /** Indices of the batch's examples in `source`. */
  readonly indices: Int32Array;
  /** The training set. */
  readonly source: EngineData;
  /** The clipped sums a provider computed for this batch, if any. */
  readonly clipped: ClippedGradients | undefined;
}

/**
 * Takes one private step on `batch`: clips the per-example gradients (unless a provider did), adds the noise and
 * updates the model. An empty batch still takes a noisy step and releases its adaptive count. Returns the batch's
 * mean loss (`NaN` when not reported or empty), its accuracy before the update (with `trainingAccuracy`) and the
 * examples skipped as non-finite.
 */
export function applyPrivateStep(
  context: StepContext,
  batch: StepBatch,
): {
  readonly loss: number;
  readonly accuracy: BatchAccuracy | undefined;
  readonly skippedExamples: number;
} {
  // A backend is active, and training on the cpu backend nothing chose is warned about (once).
  checkTrainingBackend();
  const { source } = batch;
  // An audit's canary slots never reach the model: the audit adds their contributions to the sums itself.
  const hook = stepHookOf(context.optimizer);
  const indices = hook === undefined ? batch.indices : hook.realIndices(batch.indices);
  const step = (sums: tf.NamedTensorMap, stepMaxGradNorm: number | undefined) => {
    if (hook?.withCanaries === undefined) {
      return context.optimizer.step(sums, context.normaliser, stepMaxGradNorm);
    }
    const withCanaries = hook.withCanaries(batch.indices, sums);
    try {
      context.optimizer.step(withCanaries, context.normaliser, stepMaxGradNorm);
    } finally {
      tf.dispose(withCanaries);
    }
  };
  let loss = Number.NaN;
  let accuracy: BatchAccuracy | undefined =
    context.trainingAccuracy === undefined ? undefined : { correct: 0, examples: 0 };
  let skippedExamples = 0;
  const adaptive = context.clipping.mode === 'adaptive' ? context.clipping.state : undefined;
  if (indices.length === 0) {
    const zeros: tf.NamedTensorMap = {};
    for (const variable of context.optimizer.variables) zeros[variable.name] = tf.zerosLike(variable);
    // An empty batch still releases its (noise-only) count: skipping it would depend on the data.
    const threshold = adaptive?.maxGradNorm;
    adaptive?.update(0, 0);
    step(zeros, threshold);
    tf.dispose(zeros);
  } else {
    // The batch's tensors: for the clipped sums computed here, or for the training accuracy.
    const result =
      batch.clipped !== undefined && context.trainingAccuracy === undefined
        ? undefined
        : tf.tidy(() => {
            const index = tf.tensor1d(indices, 'int32');
            const { x, y } = source;
            const xs = Array.isArray(x) ? x.map((t) => tf.gather(t, index)) : tf.gather(x, index);
            return { x: xs, y: tf.gather(y, index) };
          });
    try {
      // Before the update, as tfjs measures its training metrics in the step's forward pass.
      if (result !== undefined && context.trainingAccuracy !== undefined) {
        accuracy = batchAccuracy(context.model, context.trainingAccuracy, result.x, result.y);
      }
      const clipped =
        batch.clipped ??
        atStep(batch.step, indices, () =>
          computeClippedGradients({
            model: context.model,
            lossFn: context.lossFn,
            x: result!.x,
            y: result!.y,
            ...context.clippingOptions,
          }),
        );
      try {
        // With adaptive clipping computeClippedGradients has released the count of real examples with norm at
        // most this step's threshold (over every physical chunk) and moved the threshold for the next step; the
        // noise follows the threshold these sums were clipped to, `clipped.sensitivity`.
        step(Object.fromEntries(clipped.gradients), adaptive === undefined ? undefined : clipped.sensitivity);
        // Read only when reported: the mean loss is a release of its own (see reportTrainingLoss).
        if (context.reportTrainingLoss) loss = clipped.loss.dataSync()[0] as number;
        skippedExamples = clipped.skippedExamples;
      } finally {
        tf.dispose([...clipped.gradients.values()]);
        tf.dispose([clipped.perExampleNorms, clipped.perLayerNorms, clipped.clipFactors, clipped.loss]);
      }
    } finally {
      if (result !== undefined) tf.dispose(result);
    }
  }
  return { loss, accuracy, skippedExamples };
}
