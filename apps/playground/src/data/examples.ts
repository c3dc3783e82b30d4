/** A labelled data set as plain arrays, before it becomes tensors. */
export interface Examples {
  /** Number of examples. */
  readonly count: number;
  /** `count × featureCount` features, row-major, scaled for training (about [0, 1]). */
  readonly features: Float32Array;
  /** `count` class labels in `[0, classCount)`. */
  readonly labels: Int32Array;
}

/** The data a person trains on: a training split and a held-out test split of the same shape. */
export interface PlaygroundData {
  /** What the data is, for the page. */
  readonly name: string;
  /** Features per example. */
  readonly featureCount: number;
  /** Number of classes (labels are `0 … classCount − 1`). */
  readonly classCount: number;
  /** The examples trained on privately. */
  readonly train: Examples;
  /** Held-out examples the accuracy is measured on. */
  readonly test: Examples;
}

/** The rows `indices` of `examples`, in that order. */
export function selectRows(examples: Examples, featureCount: number, indices: readonly number[]): Examples {
  const features = new Float32Array(indices.length * featureCount);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, row) => {
    features.set(
      examples.features.subarray(index * featureCount, (index + 1) * featureCount),
      row * featureCount,
    );
    labels[row] = examples.labels[index]!;
  });
  return { count: indices.length, features, labels };
}

/** A uniform number in [0, 1) from `crypto.getRandomValues`. */
export function cryptoRandom(): number {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0]! / 2 ** 32;
}

/** A uniformly random permutation of `0 … n − 1` (Fisher–Yates). */
export function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
