import * as tf from '@tensorflow/tfjs-core';

/**
 * Chained tensor methods (`t.flatten()`, `t.stridedSlice(...)`, ...) that call the op of the same name with the
 * tensor as first argument. tfjs-core's main entry defines the ops but not these methods (the `@tensorflow/tfjs`
 * union package registers them), while tfjs-layers calls some of them: the orthogonal initializer, default for
 * the recurrent kernels of SimpleRNN, LSTM and GRU, fails with `rMat.flatten is not a function` without them.
 */
// biome-ignore format: a plain list of names, one per line would be 130 lines
const sameNameMethods = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan', 'atan2', 'atanh',
  'avgPool', 'batchNorm', 'batchToSpaceND', 'broadcastTo', 'cast', 'ceil', 'clipByValue', 'conv1d', 'conv2d',
  'conv2dTranspose', 'cos', 'cosh', 'cumprod', 'cumsum', 'depthToSpace', 'depthwiseConv2d', 'dilation2d', 'div',
  'divNoNan', 'dot', 'elu', 'equal', 'erf', 'exp', 'expandDims', 'expm1', 'fft', 'floor', 'floorDiv', 'gather',
  'greater', 'greaterEqual', 'ifft', 'irfft', 'isFinite', 'isInf', 'isNaN', 'leakyRelu', 'less', 'lessEqual',
  'localResponseNormalization', 'log', 'log1p', 'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor',
  'logSigmoid', 'logSoftmax', 'logSumExp', 'matMul', 'max', 'maximum', 'maxPool', 'mean', 'min', 'minimum',
  'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'oneHot', 'onesLike', 'pad', 'pool', 'pow', 'prelu',
  'prod', 'reciprocal', 'relu', 'relu6', 'reshape', 'resizeBilinear', 'resizeNearestNeighbor', 'reverse', 'rfft',
  'round', 'rsqrt', 'selu', 'separableConv2d', 'sigmoid', 'sign', 'sin', 'sinh', 'slice', 'softmax', 'softplus',
  'spaceToBatchND', 'split', 'sqrt', 'square', 'squaredDifference', 'squeeze', 'step', 'stridedSlice', 'sub',
  'sum', 'tan', 'tanh', 'tile', 'topk', 'transpose', 'unique', 'unsortedSegmentSum', 'unstack', 'zerosLike',
] as const;

type Method = (this: tf.Tensor, ...args: unknown[]) => unknown;

/** The methods whose op or argument order differs from `op(this, ...args)`. */
const otherMethods: Record<string, Method> = {
  flatten() {
    return tf.reshape(this, [this.size]);
  },
  as1D() {
    return tf.reshape(this, [this.size]);
  },
  as2D(...shape) {
    return tf.reshape(this, shape as number[]);
  },
  as3D(...shape) {
    return tf.reshape(this, shape as number[]);
  },
  as4D(...shape) {
    return tf.reshape(this, shape as number[]);
  },
  as5D(...shape) {
    return tf.reshape(this, shape as number[]);
  },
  asScalar() {
    if (this.size !== 1) throw new RangeError('asScalar: the tensor must have exactly 1 element');
    return tf.reshape(this, []);
  },
  asType(dtype) {
    return tf.cast(this, dtype as tf.DataType);
  },
  toBool() {
    return tf.cast(this, 'bool');
  },
  toFloat() {
    return tf.cast(this, 'float32');
  },
  toInt() {
    return tf.cast(this, 'int32');
  },
  reshapeAs(other) {
    return tf.reshape(this, (other as tf.Tensor).shape);
  },
  concat(others, axis) {
    const list = others instanceof tf.Tensor ? [others] : (others as tf.Tensor[]);
    return tf.concat([this, ...list], axis as number | undefined);
  },
  stack(others, axis) {
    const list = others instanceof tf.Tensor ? [others] : (others as tf.Tensor[]);
    return tf.stack([this, ...list], axis as number | undefined);
  },
  where(condition, other) {
    return tf.where(condition as tf.Tensor, this, other as tf.Tensor);
  },
};

/**
 * Defines every chained tensor method that is missing on `tf.Tensor.prototype`; methods already there (from the
 * union package, or from an earlier call) are left as they are. Returns the names it defined. Idempotent;
 * `@cnm/tfjs` calls it when imported, so that every tfjs-layers layer can be built with only tfjs-core and
 * tfjs-layers installed.
 */
export function registerChainedOps(): string[] {
  const prototype = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  const defined: string[] = [];
  const define = (name: string, method: Method) => {
    if (typeof prototype[name] === 'function') return;
    Object.defineProperty(prototype, name, {
      value: function (this: tf.Tensor, ...args: unknown[]) {
        this.throwIfDisposed();
        return method.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
    defined.push(name);
  };
  for (const name of sameNameMethods) {
    const op = ops[name];
    if (typeof op !== 'function') continue;
    define(name, function (...args) {
      return op(this, ...args);
    });
  }
  for (const [name, method] of Object.entries(otherMethods)) define(name, method);
  return defined;
}
