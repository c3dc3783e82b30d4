/**
 * Time to read an unbatched tf.data dataset of examples into tensors, as `trainer.fit(dataset)` does once per
 * dataset, against tfjs's own way of making one tensor of a whole dataset (`dataset.batch(size)`, one element),
 * in the same run. Images of 28x28x1 with one-hot labels of 10, on the cpu backend.
 *
 * Run: pnpm --filter @cnm/tfjs exec tsx --conditions=@cnm/source bench/read-dataset.ts [examples=10000] [repeats=3]
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { materialiseDataset } from '../src/training-data';

await tf.setBackend('cpu');
const size = Number(process.argv[2] ?? 10_000);
const repeats = Number(process.argv[3] ?? 3);
const images = tf.tidy(() => tf.unstack(tf.randomUniform([size, 28, 28, 1], 0, 1, 'float32', 1)));
const labels = tf.tidy(() => tf.unstack(tf.oneHot(tf.randomUniform([size], 0, 10, 'int32', 2), 10)));
const dataset = () => tfd.zip({ xs: tfd.array(images), ys: tfd.array(labels) });

async function timed(run: () => Promise<tf.Tensor[]>): Promise<number> {
  const start = performance.now();
  const tensors = await run();
  const elapsed = performance.now() - start;
  tf.dispose(tensors);
  return elapsed;
}

const ours: number[] = [];
const baseline: number[] = [];
for (let r = 0; r < repeats; r++) {
  ours.push(
    await timed(async () => {
      const read = await materialiseDataset(dataset(), {
        name: 'data',
        exampleShapes: [[28, 28, 1]],
        inputNames: undefined,
        expectedSize: size,
      });
      return [read.data.x as tf.Tensor, read.data.y];
    }),
  );
  baseline.push(
    await timed(async () => {
      const element = (await (await dataset().batch(size).iterator()).next()).value as {
        xs: tf.Tensor;
        ys: tf.Tensor;
      };
      return [element.xs, element.ys];
    }),
  );
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
console.log(
  `${size} examples of [28, 28, 1]: materialiseDataset ${median(ours).toFixed(0)} ms, ` +
    `dataset.batch(size) ${median(baseline).toFixed(0)} ms (median of ${repeats}), ratio ${(median(ours) / median(baseline)).toFixed(2)}`,
);
console.log(`tensors left: ${tf.memory().numTensors - images.length - labels.length}`);
