import { computeClippedGradients, trainableVariables } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ModelName, perExampleCrossEntropy } from './models';

/** Samples per second of one way of computing a batch gradient. */
export interface ThroughputFigure {
  readonly name: 'non-private' | 'bookkeeping';
  readonly samplesPerSecond: number;
}

/** What {@link measureThroughput} measured. */
export interface ThroughputResult {
  readonly backend: string;
  readonly model: ModelName;
  readonly batchSize: number;
  readonly rounds: number;
  readonly figures: ThroughputFigure[];
  /** Private time over non-private time of the same rounds. */
  readonly ratio: number;
}

/**
 * Times, on the active backend, the gradient of a batch of random images: non-private (`tf.variableGrads` of the
 * mean loss) and private (book-keeping clipped sums, threshold 1), interleaved round by round after one warm-up
 * each, as the Node benchmark `packages/tfjs/bench/clip-methods.ts` does, so the figures stand beside its own.
 */
export async function measureThroughput(
  model: ModelName,
  batchSize: number,
  rounds: number,
): Promise<ThroughputResult> {
  const network = createModel(model, 784, 10);
  const { x, y } = tf.tidy(() => ({
    x: tf.randomUniform([batchSize, 784]),
    y: tf.cast(tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32'),
  }));
  const { variables } = trainableVariables(network);
  const runs: [ThroughputFigure['name'], () => void][] = [
    [
      'non-private',
      () => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.mean(
              perExampleCrossEntropy(y, network.apply(x, { training: true }) as tf.Tensor),
            ) as tf.Scalar,
          variables,
        );
        // Read every gradient so that asynchronous GPU backends finish the work inside the timing.
        for (const g of Object.values(grads)) g.dataSync();
        tf.dispose([value, ...Object.values(grads)]);
      },
    ],
    [
      'bookkeeping',
      () => {
        const result = computeClippedGradients({
          model: network,
          lossFn: perExampleCrossEntropy,
          x,
          y,
          maxGradNorm: 1,
        });
        // Read every sum so that asynchronous GPU backends finish the work inside the timing.
        for (const g of result.gradients.values()) g.dataSync();
        tf.dispose([
          ...result.gradients.values(),
          result.perExampleNorms,
          result.perLayerNorms,
          result.clipFactors,
          result.loss,
        ]);
      },
    ],
  ];
  try {
    const seconds = new Map(runs.map(([name]) => [name, 0]));
    for (const [, run] of runs) run();
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, run] of runs) {
        const start = performance.now();
        run();
        seconds.set(name, seconds.get(name)! + (performance.now() - start) / 1000);
        // Let the page repaint between timed steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    const figures = runs.map(([name]) => ({
      name,
      samplesPerSecond: (batchSize * rounds) / seconds.get(name)!,
    }));
    return {
      backend: tf.getBackend(),
      model,
      batchSize,
      rounds,
      figures,
      ratio: seconds.get('bookkeeping')! / seconds.get('non-private')!,
    };
  } finally {
    tf.dispose([x, y]);
    network.dispose();
  }
}
