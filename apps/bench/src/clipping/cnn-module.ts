// Model module of the worker pool (`createWorkerClipper({ modelModule })`): each clipping worker imports it to
// build the benchmark CNN and its per-example loss (the weights come from the main thread every step).
import { createCnn } from '../models/classifiers';
import { perExampleCrossEntropy } from '../train/tensors';

/** The Fashion-MNIST CNN of the benchmarks. */
export function createModel() {
  return createCnn({ seed: 1 });
}

/** Per-example softmax cross-entropy. */
export function createLossFn() {
  return perExampleCrossEntropy;
}
