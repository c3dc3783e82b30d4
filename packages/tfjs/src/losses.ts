/**
 * tfjs-layers' losses by name, as the per-example losses the engine clips: the formulas of `model.compile({ loss })`,
 * one value per example instead of the batch mean.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PerExampleLossFn } from './compute-clipped-gradients';

/** The loss names of tfjs-layers' `model.compile({ loss })`. */
export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'meanAbsolutePercentageError'
  | 'meanSquaredLogarithmicError'
  | 'hinge'
  | 'squaredHinge'
  | 'categoricalHinge'
  | 'logcosh'
  | 'kullbackLeiblerDivergence'
  | 'poisson'
  | 'cosineProximity';

/** The losses whose predictions may be logits (`fromLogits`), as in tfjs and Keras. */
const LOGIT_LOSSES: readonly LossName[] = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
];

/** tfjs-layers' fuzz factor (`epsilon()` of its backend): probabilities are clipped to [ε, 1 − ε]. */
const EPSILON = 1e-7;

/** Options of {@link perExampleLoss}. */
export interface PerExampleLossOptions {
  /**
   * The model outputs logits (no softmax / sigmoid): the loss applies it, in a numerically stable form
   * (log-softmax, the logistic loss on logits). Only for the cross-entropies. Default false.
   */
  readonly fromLogits?: boolean;
}

type ElementLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const clipProbability = (p: tf.Tensor) => tf.clipByValue(p, EPSILON, 1 - EPSILON);

/** Logistic loss on logits, stable for large |x|: max(x, 0) − x·z + log(1 + e^(−|x|)). */
const sigmoidCrossEntropyWithLogits = (labels: tf.Tensor, logits: tf.Tensor) =>
  tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));

/** Each loss reduced over the last axis, as tfjs-layers' loss functions are. */
const LOSSES: Readonly<Record<LossName, (fromLogits: boolean) => ElementLoss>> = {
  categoricalCrossentropy: (fromLogits) => (yTrue, yPred) =>
    fromLogits
      ? tf.neg(tf.sum(tf.mul(yTrue, tf.logSoftmax(yPred)), -1))
      : tf.neg(tf.sum(tf.mul(yTrue, tf.log(clipProbability(tf.div(yPred, tf.sum(yPred, -1, true))))), -1)),
  sparseCategoricalCrossentropy: (fromLogits) => (yTrue, yPred) => {
    const classes = yPred.shape[yPred.rank - 1] as number;
    const labels = tf.reshape(tf.cast(tf.floor(yTrue), 'int32'), yPred.shape.slice(0, -1));
    return LOSSES.categoricalCrossentropy(fromLogits)(tf.oneHot(labels, classes), yPred);
  },
  binaryCrossentropy: (fromLogits) => (yTrue, yPred) => {
    const logits = fromLogits
      ? yPred
      : tf.tidy(() => {
          const p = clipProbability(yPred);
          return tf.log(tf.div(p, tf.sub(1, p)));
        });
    return tf.mean(sigmoidCrossEntropyWithLogits(yTrue, logits), -1);
  },
  meanSquaredError: () => (yTrue, yPred) => tf.mean(tf.square(tf.sub(yPred, yTrue)), -1),
  meanAbsoluteError: () => (yTrue, yPred) => tf.mean(tf.abs(tf.sub(yPred, yTrue)), -1),
  meanAbsolutePercentageError: () => (yTrue, yPred) =>
    tf.mul(
      100,
      tf.mean(
        tf.abs(tf.div(tf.sub(yTrue, yPred), tf.clipByValue(tf.abs(yTrue), EPSILON, Number.MAX_VALUE))),
        -1,
      ),
    ),
  meanSquaredLogarithmicError: () => (yTrue, yPred) => {
    const logOf = (t: tf.Tensor) => tf.log(tf.add(1, tf.clipByValue(t, EPSILON, Number.MAX_VALUE)));
    return tf.mean(tf.square(tf.sub(logOf(yPred), logOf(yTrue))), -1);
  },
  hinge: () => (yTrue, yPred) => tf.mean(tf.maximum(0, tf.sub(1, tf.mul(yTrue, yPred))), -1),
  squaredHinge: () => (yTrue, yPred) =>
    tf.mean(tf.square(tf.maximum(0, tf.sub(1, tf.mul(yTrue, yPred)))), -1),
  categoricalHinge: () => (yTrue, yPred) => {
    const positive = tf.sum(tf.mul(yTrue, yPred), -1);
    const negative = tf.max(tf.mul(tf.sub(1, yTrue), yPred), -1);
    return tf.maximum(0, tf.add(1, tf.sub(negative, positive)));
  },
  logcosh: () => (yTrue, yPred) => {
    const diff = tf.sub(yPred, yTrue);
    return tf.mean(tf.sub(tf.add(diff, tf.softplus(tf.mul(-2, diff))), Math.log(2)), -1);
  },
  kullbackLeiblerDivergence: () => (yTrue, yPred) =>
    tf.sum(
      tf.mul(yTrue, tf.log(tf.div(tf.clipByValue(yTrue, EPSILON, 1), tf.clipByValue(yPred, EPSILON, 1)))),
      -1,
    ),
  poisson: () => (yTrue, yPred) => tf.mean(tf.sub(yPred, tf.mul(yTrue, tf.log(tf.add(EPSILON, yPred)))), -1),
  cosineProximity: () => (yTrue, yPred) => {
    const unit = (t: tf.Tensor) => tf.div(t, tf.sqrt(tf.maximum(tf.sum(tf.square(t), -1, true), EPSILON)));
    return tf.neg(tf.sum(tf.mul(unit(yTrue), unit(yPred)), -1));
  },
};

/** The names {@link perExampleLoss} accepts, as tfjs-layers spells them. */
export const LOSS_NAMES: readonly LossName[] = Object.freeze(Object.keys(LOSSES) as LossName[]);

/**
 * The per-example loss `(yTrue, yPred) => [B]` of a tfjs-layers loss name: tfjs's formula for each example (its
 * epsilon clipping included), so that the mean over a batch is what `model.compile({ loss: name })` minimises.
 * Outputs of rank > 2 (sequences, images) are averaged over their other axes, one value per example; a rank-1
 * output is one value per example. With `fromLogits` the cross-entropies take logits, computed stably (tfjs-layers'
 * own logits path clips the softmax, and its sparse version clips the logits themselves).
 *
 * @example
 * ```ts
 * engine.makePrivate({ model, loss: 'sparseCategoricalCrossentropy', ... });
 * engine.makePrivate({ model, loss: perExampleLoss('categoricalCrossentropy', { fromLogits: true }), ... });
 * ```
 */
export function perExampleLoss(name: LossName, options: PerExampleLossOptions = {}): PerExampleLossFn {
  if (typeof name !== 'string' || !Object.hasOwn(LOSSES, name)) {
    throw new RangeError(`loss must be one of ${LOSS_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError('loss options must be an object');
  const fromLogits = options.fromLogits ?? false;
  if (typeof fromLogits !== 'boolean') throw new TypeError('fromLogits must be a boolean');
  if (fromLogits && !LOGIT_LOSSES.includes(name)) {
    throw new RangeError(`fromLogits applies to ${LOGIT_LOSSES.join(', ')}, not to '${name}'`);
  }
  const elementLoss = LOSSES[name](fromLogits);
  return (yTrue, yPred) =>
    tf.tidy(() => {
      // A rank-1 output holds one value per example: tfjs-layers' last-axis reduction would average the batch.
      const pred = yPred.rank === 1 ? tf.expandDims(yPred, -1) : yPred;
      const target =
        name === 'sparseCategoricalCrossentropy' || yTrue.rank !== 1 || yPred.rank !== 1
          ? tf.cast(yTrue, 'float32')
          : tf.expandDims(tf.cast(yTrue, 'float32'), -1);
      const loss = elementLoss(target, pred);
      return loss.rank <= 1
        ? loss
        : tf.mean(
            loss,
            loss.shape.slice(1).map((_, i) => i + 1),
          );
    });
}

/**
 * The per-example loss of the engine options `loss` (a tfjs loss name or a per-example function) and `lossFn`
 * (a per-example function): exactly one of them.
 */
export function resolveLossOption(loss: unknown, lossFn: unknown): PerExampleLossFn {
  if (loss !== undefined && lossFn !== undefined) {
    throw new TypeError("give 'loss' (a tfjs loss name or a per-example function) or 'lossFn', not both");
  }
  const given = loss ?? lossFn;
  if (given === undefined || given === null) {
    throw new TypeError(
      `option 'loss' is required: a tfjs loss name (${LOSS_NAMES.join(', ')}) or a per-example loss (yTrue, yPred) => [B]`,
    );
  }
  if (typeof given === 'function') return given as PerExampleLossFn;
  if (loss !== undefined && typeof loss === 'string') return perExampleLoss(loss as LossName);
  throw new TypeError(
    loss !== undefined
      ? `loss must be a tfjs loss name (${LOSS_NAMES.join(', ')}) or a per-example loss (yTrue, yPred) => [B]`
      : 'lossFn must be a function (yTrue, yPred) => [B]',
  );
}
