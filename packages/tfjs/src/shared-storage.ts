/**
 * Training data that the wasm backend would read wrong. tfjs 4.22's cpu backend casts int32 to float32 without
 * copying: the float32 tensor shares its input's data. When that data moves to the wasm backend it keeps the
 * input's dtype, and wasm kernels read the int32 bits as float32 (a label 1 becomes 1.4e-45), so a run would train
 * on garbage without any error. Such data is refused on wasm with what to do instead.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The engine's record of each data buffer: the dtype it was first made with (tfjs-core 4.22). */
interface EngineState {
  readonly state: {
    readonly tensorInfo: { get(dataId: object): { readonly dtype: tf.DataType } | undefined };
  };
}

/** The dtype tfjs stores `tensor`'s data in, which differs from `tensor.dtype` for a cast that shares its input. */
export function storedDtypeOf(tensor: tf.Tensor): tf.DataType | undefined {
  return (tf.engine() as unknown as EngineState).state.tensorInfo.get(tensor.dataId)?.dtype;
}

/**
 * Throws a TypeError naming the tensor when the active backend is wasm and a tensor of `data` shares data stored
 * in another dtype (see the file comment); `name` is how the caller's argument is called.
 */
export function assertReadableOnBackend(
  data: { readonly x: tf.Tensor | tf.Tensor[]; readonly y: tf.Tensor },
  name: string,
): void {
  if (tf.getBackend() !== 'wasm') return;
  const inputs = Array.isArray(data.x) ? data.x : [data.x];
  const tensors: [string, tf.Tensor][] = [
    ...inputs.map((t, i): [string, tf.Tensor] => [
      Array.isArray(data.x) ? `${name}.x[${i}]` : `${name}.x`,
      t,
    ]),
    [`${name}.y`, data.y],
  ];
  for (const [label, tensor] of tensors) {
    const stored = storedDtypeOf(tensor);
    if (stored !== undefined && stored !== tensor.dtype) {
      throw new TypeError(
        `${label} is a ${tensor.dtype} tensor whose data is stored as ${stored} (a cast made on another backend ` +
          "shares its input's data), which the wasm backend reads wrong in tfjs 4.22: make the data after " +
          `\`await selectBackend()\`, or copy it with tf.tensor(t.dataSync(), t.shape, '${tensor.dtype}')`,
      );
    }
  }
}
