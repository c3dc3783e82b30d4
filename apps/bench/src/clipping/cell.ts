import { computeClippedGradients, type PerExampleMethod } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { CLIPPING_WORKLOADS, type ClippingWorkload } from './workloads';

/** The training methods compared: ordinary (non-private) training and each per-example clipping method. */
export type ClippingMethod = 'non-private' | PerExampleMethod;

/** All methods, in table order. */
export const CLIPPING_METHODS: readonly ClippingMethod[] = [
  'non-private',
  'loop',
  'materialized',
  'ghost',
  'mixed-ghost',
  'bookkeeping',
];

/** Bytes of float32 data in one wasm heap (wasm32 addresses at most 4 GiB). */
const WASM_HEAP_BYTES = 4 * 1024 ** 3;

function bytesText(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/**
 * Why pure ghost clipping runs out of memory on a workload: the size of the two `T×T` Gram matrices of its
 * largest layer, per example and for one physical chunk, against the wasm heap.
 */
export function ghostGramExplanation(workload: ClippingWorkload, chunk: number): string {
  const positions = workload.largestLayerPositions;
  const perExample = 2 * positions * positions * 4;
  const total = perExample * chunk;
  return (
    `pure ghost clipping holds two T×T float32 Gram matrices per example for each layer; the largest layer of ${workload.name} has T = ${positions} positions: ` +
    `${bytesText(perExample)} per example, ${bytesText(total)} for a chunk of ${chunk}` +
    `${total >= WASM_HEAP_BYTES ? ', beyond the 4 GiB wasm heap' : ' (beside the other buffers of the step)'}; mixed ghost clipping forms them only where they are smaller than the per-example gradient`
  );
}

/** One measured cell of the comparison. */
export interface ClippingCellResult {
  /** Workload. */
  readonly model: ClippingWorkload['name'];
  /** Method. */
  readonly method: ClippingMethod;
  /** Batch size. */
  readonly batchSize: number;
  /** `'ok'`, or why there is no number. */
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Error or reason. */
  readonly note?: string;
  /** Examples per second over the timed steps. */
  readonly samplesPerSecond: number | null;
  /** Mean step time, ms. */
  readonly stepTimeMs: number | null;
  /** Peak resident set size of the process that ran the cell, MiB. */
  readonly peakMemoryMiB: number | null;
  /** Timed steps. */
  readonly steps: number;
  /** Examples per physical chunk (memory bound), when the batch was processed in chunks. */
  readonly physicalBatchSize?: number;
}

/**
 * One training step of `method`: gradients (clipped sums for the private methods, clip norm 1), then a plain
 * SGD update of every trainable variable. No noise is added: the comparison isolates the gradient cost.
 */
export function clippingStep(
  workload: ClippingWorkload,
  model: ReturnType<ClippingWorkload['createModel']>,
  method: ClippingMethod,
  x: tf.Tensor,
  y: tf.Tensor,
  learningRate = 0.01,
  physicalBatchSize?: number,
): number {
  const size = x.shape[0]!;
  const chunk = Math.min(physicalBatchSize ?? size, size);
  return tf.tidy(() => {
    let gradients: Map<string, tf.Tensor>;
    let loss: tf.Scalar;
    if (method === 'non-private') {
      // Gradient accumulation over physical chunks: the same mean gradient, bounded memory.
      gradients = new Map();
      let lossSum = tf.scalar(0);
      for (let start = 0; start < size; start += chunk) {
        const count = Math.min(chunk, size - start);
        const xs = tf.slice(x, start, count);
        const ys = tf.slice(y, start, count);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(workload.lossFn(ys, model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar,
        );
        lossSum = tf.add(lossSum, value);
        for (const [name, g] of Object.entries(grads)) {
          const previous = gradients.get(name);
          gradients.set(name, previous == null ? g : tf.add(previous, g));
        }
      }
      gradients = new Map([...gradients].map(([name, g]) => [name, tf.div(g, size)]));
      loss = tf.div(lossSum, size);
    } else {
      const clipped = computeClippedGradients({
        model,
        lossFn: workload.lossFn,
        x,
        y,
        maxGradNorm: 1,
        perExampleMethod: method,
        physicalBatchSize: chunk,
      });
      gradients = new Map([...clipped.gradients].map(([name, g]) => [name, tf.div(g, size)]));
      loss = clipped.loss;
    }
    for (const weight of model.trainableWeights) {
      const gradient = gradients.get(weight.name);
      if (gradient == null) throw new Error(`no gradient for ${weight.name}`);
      weight.write(tf.sub(weight.read(), tf.mul(gradient, learningRate)));
    }
    return loss.dataSync()[0]!;
  });
}

/** Runs one cell in this process: one warm-up step, then `steps` timed steps. */
export function runClippingCell(
  modelName: ClippingWorkload['name'],
  method: ClippingMethod,
  batchSize: number,
  steps: number,
  physicalBatchSize?: number,
): ClippingCellResult {
  const workload = CLIPPING_WORKLOADS[modelName];
  const model = workload.createModel();
  const { x, y } = workload.batch(batchSize, 7);
  try {
    const warm = clippingStep(workload, model, method, x, y, 0.01, physicalBatchSize);
    if (!Number.isFinite(warm)) throw new Error(`loss ${warm} after the warm-up step`);
    const start = performance.now();
    for (let i = 0; i < steps; i += 1) clippingStep(workload, model, method, x, y, 0.01, physicalBatchSize);
    const ms = (performance.now() - start) / steps;
    return {
      model: modelName,
      method,
      batchSize,
      status: 'ok',
      samplesPerSecond: (1000 * batchSize) / ms,
      stepTimeMs: ms,
      peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
      steps,
      ...(physicalBatchSize == null ? {} : { physicalBatchSize }),
    };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}
