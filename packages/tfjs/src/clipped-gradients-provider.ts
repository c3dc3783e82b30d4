/**
 * The hook through which the privacy engine can compute its clipped gradient sums somewhere else than in the
 * calling thread (for example the worker pool of `@cnm/tfjs/node`). Browser-safe: types only.
 */
import type { ClippingOptions } from './clipping';
import type { ClippedGradients, PerExampleMethod } from './compute-clipped-gradients';
import type { NonFinitePolicy } from './non-finite';
import type { AnyLayer } from './per-example/types';
import type { EngineData } from './training-data';

/** One logical batch to clip, named by example indices into a dataset that stays the same between calls. */
export interface ClippedGradientsRequest {
  /** The model; its current weights are the ones the gradients are taken at. */
  readonly model: AnyLayer;
  /** The training set (the same object on every call of a run, so that a provider can send it once). */
  readonly data: EngineData;
  /** Indices of the batch's examples in `data`, in batch order. */
  readonly indices: ArrayLike<number>;
  /** How the per-example gradients are clipped (adaptive state is updated by the provider, as in-process). */
  readonly clipping: ClippingOptions;
  /** Per-example gradient method; default `'bookkeeping'`. */
  readonly perExampleMethod?: PerExampleMethod;
  /** Examples per physical chunk; default: the provider's choice (it must say which in its documentation). */
  readonly physicalBatchSize?: number;
  /** Non-finite examples: `'error'` (default, a `NonFiniteExamplesError` with batch positions) or `'skip'`. */
  readonly nonFinite?: NonFinitePolicy;
  /** Compute the batch's mean loss (default true); false gives `NaN`. */
  readonly computeLoss?: boolean;
}

/**
 * Computes the clipped per-example gradient sums of a batch, asynchronously; the result has the meaning of
 * {@link computeClippedGradients}'s (gradients keyed by the names of the model's own variables, tensors owned
 * by the caller). Set as the engine option `clippedGradients`; the trainer then steps with
 * {@link PrivateTrainer.stepAsync}.
 */
export interface ClippedGradientsProvider {
  /** The clipped sums, norms, clip factors and loss of the batch `request.indices`. */
  compute(request: ClippedGradientsRequest): Promise<ClippedGradients>;
}
