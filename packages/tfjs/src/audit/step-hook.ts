/**
 * The audit's hook into a run's steps, keyed by the run's private optimizer and never reachable from the options:
 * it takes the audit's canary slots out of each batch and adds the included canaries' clipped contributions to the
 * clipped gradient sums before the noise. Only {@link auditPrivacy} installs one.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What a step asks of the audit that runs it. */
export interface StepHook {
  /** The indices of `batch` that are real training examples (the rest are canary slots). */
  realIndices(batch: Int32Array): Int32Array;
  /**
   * The clipped gradient sums of the step with the canaries of `batch` added (new tensors, which the step
   * disposes), given the sums of its real examples (left to the caller). Absent when the canaries are real
   * examples of the batch.
   */
  withCanaries?(batch: Int32Array, sums: tf.NamedTensorMap): tf.NamedTensorMap;
}

const hooks = new WeakMap<object, StepHook>();

/** Makes every step of the run whose private optimizer is `optimizer` go through `hook`. */
export function installStepHook(optimizer: object, hook: StepHook): void {
  if (hooks.has(optimizer)) throw new Error('internal: this run already has a step hook');
  hooks.set(optimizer, hook);
}

/** The hook installed for `optimizer`, if any. */
export function stepHookOf(optimizer: object): StepHook | undefined {
  return hooks.get(optimizer);
}
