import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * A weightless layer whose forward pass is the identity but whose backward pass adds the batch mean of the
 * incoming gradient to every example's: one example's gradient then depends on the others. Alone (batch of one)
 * it doubles the gradient, so the per-example norms differ from the batched ones whenever the batch has more
 * than one example.
 */
export class MixingIdentity extends tfl.layers.Layer {
  static className = 'MixingIdentity';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const mixing = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const input = args[0] as tf.Tensor;
      return {
        value: tf.clone(input),
        gradFunc: (dy: tf.Tensor) => tf.add(dy, tf.mean(dy, 0, true)),
      };
    });
    return mixing(x) as tf.Tensor;
  }
}
tf.serialization.registerClass(MixingIdentity);
