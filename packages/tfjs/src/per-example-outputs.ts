import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-example quantities {@link computeClippedGradients} can return besides the clipped sums (BackPACK's
 * `BatchGrad` / `BatchL2Grad`, Opacus's `grad_sample`):
 * - `'gradients'`: every example's unclipped gradient of every trainable variable, `[B, ...variableShape]`. Memory:
 *   `B ×` the number of trainable parameters floats (4 bytes each) held until the caller disposes them, e.g.
 *   1 GiB for a batch of 1024 and a 262k-parameter model; the book-keeping method then also materialises the
 *   gradients it would have kept as factors.
 * - `'norms'`: every example's squared L2 norm of each variable's unclipped gradient, `[B]` per variable: `B` floats
 *   per variable, no extra pass.
 */
export type ReturnPerExample = 'gradients' | 'norms';

const kinds: readonly ReturnPerExample[] = ['gradients', 'norms'];

/** Validates the `returnPerExample` option. */
export function validateReturnPerExample(value: unknown): ReturnPerExample | undefined {
  if (value == null) return undefined;
  if (!kinds.includes(value as ReturnPerExample)) {
    throw new RangeError(`returnPerExample must be 'gradients' or 'norms', got ${JSON.stringify(value)}`);
  }
  return value as ReturnPerExample;
}

/** Per-variable per-example tensors collected chunk by chunk (leading axis = examples), concatenated at the end. */
export class PerExampleCollector {
  private readonly parts = new Map<string, tf.Tensor[]>();

  /** Adds one chunk's `[count, ...]` tensor of a variable; the collector owns it. */
  add(name: string, tensor: tf.Tensor): void {
    const list = this.parts.get(name) ?? [];
    list.push(tensor);
    this.parts.set(name, list);
  }

  /** Each variable's tensors concatenated along the examples, in the order of `names`; the caller owns them. */
  finish(names: readonly string[], zerosShape: (name: string) => number[]): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const name of names) {
      const list = this.parts.get(name);
      if (list == null || list.length === 0) {
        out.set(name, tf.zeros(zerosShape(name)));
      } else if (list.length === 1) {
        out.set(name, list[0]!);
      } else {
        out.set(name, tf.concat(list, 0));
        for (const t of list) t.dispose();
      }
    }
    this.parts.clear();
    return out;
  }
}
