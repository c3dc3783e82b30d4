/**
 * Input-space canaries for a black-box audit: out-of-distribution inputs (uniform noise over the range of the
 * training inputs) with labels taken from random training examples, so that a model fits them only by memorising
 * them. The included ones are real examples of the training set; the audit scores each canary by the final model's
 * loss on it (lower loss: more likely included).
 */
import type { RandomGenerator } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { PerExampleLossFn } from '../compute-clipped-gradients';
import type { AnyLayer } from '../per-example/types';
import type { EngineData } from '../training-data';
import type { StepHook } from './step-hook';

/** `count` canary examples shaped like `data`'s: uniform inputs over its range, labels of random examples. */
export function makeInputCanaries(
  data: EngineData,
  size: number,
  count: number,
  random: RandomGenerator,
): EngineData {
  if (Array.isArray(data.x)) {
    throw new TypeError("canaryKind 'input' needs a single-input model (data.x one tensor)");
  }
  const x = data.x as tf.Tensor;
  const values = x.dataSync();
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  if (!(high > low)) high = low + 1;
  const perExample = x.size / size;
  const inputs = new Float32Array(count * perExample);
  for (let i = 0; i < inputs.length; i++) inputs[i] = low + (high - low) * random.nextFloat64();
  const labelOf = Int32Array.from({ length: count }, () => random.nextInt(0, size));
  return {
    x: tf.tensor(inputs, [count, ...x.shape.slice(1)], x.dtype),
    y: tf.tidy(() => tf.gather(data.y, tf.tensor1d(labelOf, 'int32'))),
  };
}

/** The step hook of an input-canary audit: the excluded canaries' slots never reach the model. */
export function inputCanaryHook(dataSize: number, included: Uint8Array): StepHook {
  return {
    realIndices: (batch) => batch.filter((slot) => slot < dataSize || included[slot - dataSize] === 1),
  };
}

/** Each canary's score: minus the model's per-example loss on it. */
export function inputCanaryScores(
  model: AnyLayer,
  lossFn: PerExampleLossFn,
  canaries: EngineData,
): Float64Array {
  const losses = tf.tidy(() => {
    const prediction = model.apply(canaries.x, { training: false }) as tf.Tensor;
    return lossFn(canaries.y, prediction);
  });
  const values = Float64Array.from(losses.dataSync(), (loss) => -loss);
  losses.dispose();
  return values;
}
