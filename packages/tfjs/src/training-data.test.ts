import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import type { MakePrivateOptions } from './engine-options';
import type { TrainLogs } from './fit-loop';
import { PrivacyEngine } from './privacy-engine';
import type { PrivateTrainer } from './private-trainer';
import { type ExampleDataset, materialiseDataset } from './training-data';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const size = 32;
const data = separableTask(size, 5);
const heldOut = separableTask(24, 9);
// Single examples as a tf.data pipeline would hand them out; the sliced tensors stay this file's.
const exampleXs = tf.unstack(data.x);
const exampleYs = tf.unstack(data.y);
const examples = () => tfd.zip({ xs: tfd.array(exampleXs), ys: tfd.array(exampleYs) });
afterAll(() => tf.dispose([...exampleXs, ...exampleYs]));

// Without data: each test gives `data` or `datasetSize`.
const setup = {
  lossFn: crossEntropy,
  epochs: 2,
  batchSize: 8,
  noiseMultiplier: 1,
  maxGradNorm: 1,
  mode: 'BLT',
  learningRate: 0.5,
  seed: 3,
  targetEpsilon: 50,
  targetDelta: 1e-5,
} as const;

function trainer(extra: Partial<MakePrivateOptions>): PrivateTrainer {
  return new PrivacyEngine().makePrivate({ model: classifier(3), ...setup, ...extra } as MakePrivateOptions);
}

function weightsOf(t: PrivateTrainer): Float32Array[] {
  return t.exportState().weights.map((w) => w.values);
}

describe('fit(data, options) takes the training data in the forms tfjs users have', () => {
  it.each([
    ['BLT', {}],
    ['DP-SGD-AMPLIFIED', { mode: 'DP-SGD-AMPLIFIED', accountant: 'rdp' }],
  ] as const)(
    '%s: { x, y }, { xs, ys } and an unbatched tf.data dataset train exactly as data given to makePrivate',
    async (_mode, modeOptions) => {
      const reference = trainer({ data, ...modeOptions });
      const referenceHistory = await reference.fit();
      const expected = weightsOf(reference);

      const forms = [
        { extra: { datasetSize: size }, fitData: { x: data.x, y: data.y } },
        { extra: { datasetSize: size }, fitData: { xs: data.x, ys: data.y } },
        { extra: { datasetSize: size }, fitData: examples() },
        // Data in both places: fit's data is the one trained on (same size, so the same accounting).
        { extra: { data }, fitData: examples() },
      ];
      for (const { extra, fitData } of forms) {
        const t = trainer({ ...extra, ...modeOptions });
        const history = await t.fit(fitData, { epochs: 2 });
        expect(weightsOf(t)).toEqual(expected);
        expect(history.loss).toEqual(referenceHistory.loss);
        expect(history.epsilon).toEqual(referenceHistory.epsilon);
        expect(t.getEpsilon()).toBe(reference.getEpsilon());
        t.dispose();
      }
      // The caller's tensors are never disposed by the engine.
      expect(data.x.isDisposed || data.y.isDisposed).toBe(false);
    },
  );

  it('step(data) trains as step() on the data given to makePrivate', () => {
    const reference = trainer({ data });
    const t = trainer({ datasetSize: size });
    for (let i = 0; i < 3; i++) expect(t.step({ xs: data.x, ys: data.y })).toBe(reference.step());
    expect(weightsOf(t)).toEqual(weightsOf(reference));
  });

  it('a multi-input model: dataset elements with xs by input name, or an array, match { x: [a, b], y }', async () => {
    const a = tf.slice(data.x, [0, 0], [size, 1]);
    const b = tf.slice(data.x, [0, 1], [size, 1]);
    const as = tf.unstack(a);
    const bs = tf.unstack(b);
    const model = () => {
      const left = tfl.input({ shape: [1], name: 'left' });
      const right = tfl.input({ shape: [1], name: 'right' });
      const joined = tfl.layers.concatenate().apply([left, right]) as tfl.SymbolicTensor;
      const output = tfl.layers
        .dense({
          units: 2,
          activation: 'softmax',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
        })
        .apply(joined) as tfl.SymbolicTensor;
      return tfl.model({ inputs: [left, right], outputs: output });
    };
    const reference = trainer({ model: model(), data: { x: [a, b], y: data.y } });
    await reference.fit();
    const byName = tfd.zip({ xs: { left: tfd.array(as), right: tfd.array(bs) }, ys: tfd.array(exampleYs) });
    const byIndex = tfd.zip({ xs: [tfd.array(as), tfd.array(bs)], ys: tfd.array(exampleYs) });
    for (const dataset of [byName, byIndex]) {
      const t = trainer({ model: model(), datasetSize: size });
      await t.fit(dataset);
      expect(weightsOf(t)).toEqual(weightsOf(reference));
      t.dispose();
    }
    tf.dispose([a, b, ...as, ...bs]);
  });
});

describe('fit refuses data the accounting does not hold for', () => {
  it('a batched dataset: the engine must draw the batches itself', async () => {
    const t = trainer({ datasetSize: size });
    const before = tf.memory().numTensors;
    await expect(t.fit(examples().batch(8))).rejects.toThrow(
      /data is batched: its elements have shape \[8, 2\], one example of the model's input has shape \[2\].*draws every batch itself/,
    );
    // Even a batch size that divides nothing: detected from the shapes, not the count.
    await expect(t.fit(examples().batch(32))).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.steps).toBe(0);
  });

  it('an infinite dataset (repeat) and an endless one of unknown size', async () => {
    const t = trainer({ datasetSize: size });
    await expect(t.fit(examples().repeat())).rejects.toThrow(/infinite dataset.*own sampling/);
    const before = tf.memory().numTensors;
    const endless = tfd.generator(function* () {
      for (;;) yield { xs: tf.zeros([2]), ys: tf.tensor1d([1, 0]) };
    });
    expect(endless.size).toBeNull();
    await expect(t.fit(endless)).rejects.toThrow(/more than 32 examples.*endless dataset is refused/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('data of another size than the run was calibrated for, naming both sizes', async () => {
    const t = trainer({ datasetSize: size });
    const small = separableTask(16, 1);
    await expect(t.fit(small)).rejects.toThrow(
      /data has 16 examples, but this run's privacy was calibrated for 32/,
    );
    await expect(t.fit(examples().take(16))).rejects.toThrow(/data has 16 examples.*calibrated for 32/);
    expect(() => t.step(small)).toThrow(/data has 16 examples.*calibrated for 32/);
    // A size that the dataset does not declare is counted.
    const unknownSize = tfd.generator(function* () {
      for (let i = 0; i < 31; i++) yield { xs: tf.zeros([2]), ys: tf.tensor1d([1, 0]) };
    });
    await expect(t.fit(unknownSize)).rejects.toThrow(/data has 31 examples.*calibrated for 32/);
    tf.dispose(small);
  });

  it('elements that are not examples { xs, ys } of the model input shape', async () => {
    const t = trainer({ datasetSize: size });
    await expect(t.fit(tfd.array(exampleXs))).rejects.toThrow(/must be an example \{ xs, ys \}/);
    const wrong = tfd.zip({ xs: tfd.array(exampleYs.map(() => tf.zeros([3]))), ys: tfd.array(exampleYs) });
    await expect(t.fit(wrong)).rejects.toThrow(
      /element xs has shape \[3\], the model takes examples of shape \[2\]/,
    );
  });

  it('tensors of another example shape, before any batch is drawn (the run stays usable)', async () => {
    const t = trainer({ datasetSize: size });
    const wide = { x: tf.zeros([size, 3]), y: data.y };
    expect(() => t.step(wide)).toThrow(
      /data.x holds examples of shape \[3\], the model takes examples of shape \[2\]/,
    );
    await expect(t.fit(wide)).rejects.toThrow(/data.x holds examples of shape \[3\]/);
    await expect(t.fit(data, { epochs: 1, validationData: [wide.x, data.y] })).rejects.toThrow(
      /validationData.x holds examples of shape \[3\]/,
    );
    t.step(data);
    expect(t.steps).toBe(1);
    tf.dispose(wide.x);
  });

  it('a second fit while one runs is refused', async () => {
    const t = trainer({ data });
    const running = t.fit({ epochs: 1 });
    await expect(t.fit({ epochs: 1 })).rejects.toThrow(/fit is already running/);
    await running;
    await t.fit({ epochs: 1 });
    expect(t.steps).toBe(8);
  });

  it('a run set up with datasetSize only needs the data in fit or step', async () => {
    const t = trainer({ datasetSize: size });
    expect(() => t.step()).toThrow(/set up with datasetSize 32 only, so pass the data to step\(data\)/);
    await expect(t.fit({ epochs: 1 })).rejects.toThrow(/pass the data to fit\(data, options\)/);
    expect(() => t.step(examples() as unknown as typeof data)).toThrow(/a tf.data.Dataset goes to fit/);
    expect(t.steps).toBe(0);
  });

  it('makePrivate takes exactly one of data and datasetSize, and no dataset', () => {
    expect(() => trainer({ data, datasetSize: size })).toThrow(/either 'data' or 'datasetSize', not both/);
    expect(() => trainer({})).toThrow(/option 'data' or 'datasetSize' is required/);
    expect(() => trainer({ datasetSize: 0 })).toThrow(/datasetSize must be an integer in \[1,/);
    expect(() => trainer({ datasetSize: 2.5 })).toThrow(RangeError);
    expect(() => trainer({ data: examples() as unknown as typeof data })).toThrow(
      /give its number of examples as datasetSize and the dataset to fit\(dataset, options\)/,
    );
    expect(() => trainer({ data: { xs: data.x, ys: data.y } }).report.run.datasetSize).not.toThrow();
  });

  it('misplaced options and tensors given separately', async () => {
    const t = trainer({ data });
    await expect(t.fit({ x: data.x, y: data.y, epochs: 1 } as never)).rejects.toThrow(
      /fit data holds epochs.*options as second argument/,
    );
    await expect(t.fit({ epoch: 1 } as never)).rejects.toThrow(/unknown fit option\(s\) epoch;/);
    await expect(t.fit(data, { batchSize: 4, shuffle: true } as never)).rejects.toThrow(
      /batchSize: the batch size is set by makePrivate.*; shuffle: the engine samples the batches itself/,
    );
    await expect(t.fit(data.x as never)).rejects.toThrow(/fit\(\{ x, y \}, options\)/);
  });
});

describe('tensor ownership', () => {
  it('tensors read from a dataset are the trainer’s: reused for the same dataset, freed by dispose, no leaks', async () => {
    const t = trainer({ datasetSize: size, epochs: 3 });
    const source = examples();
    let reads = 0;
    const dataset: ExampleDataset = {
      size: source.size,
      iterator: () => {
        reads++;
        return source.iterator();
      },
    };
    await t.fit(dataset, { epochs: 1 });
    const afterFirst = tf.memory().numTensors;
    // The same dataset object is not read again; the validation tensors live only during the fit.
    const valXs = tf.unstack(heldOut.x);
    const valYs = tf.unstack(heldOut.y);
    const mine = valXs.length + valYs.length;
    await t.fit(dataset, {
      epochs: 1,
      validationData: tfd.zip({ xs: tfd.array(valXs), ys: tfd.array(valYs) }).batch(5),
    });
    expect(tf.memory().numTensors).toBe(afterFirst + mine);
    expect(reads).toBe(1);
    // Another dataset replaces the tensors read before (disposing them).
    await t.fit(examples(), { epochs: 1 });
    expect(tf.memory().numTensors).toBe(afterFirst + mine);
    // dispose frees exactly the two tensors read (x and y), once.
    t.dispose();
    expect(tf.memory().numTensors).toBe(afterFirst + mine - 2);
    t.dispose();
    expect(tf.memory().numTensors).toBe(afterFirst + mine - 2);
    tf.dispose([...valXs, ...valYs]);
  });
});

describe('callbacks, validation and checkpoints with fit(data)', () => {
  it('calls the callbacks in Keras order with loss, epsilon and validation metrics', async () => {
    const t = trainer({ datasetSize: size });
    const events: string[] = [];
    const epsilons: number[] = [];
    const epochLogs: TrainLogs[] = [];
    const history = await t.fit(examples(), {
      validationData: heldOut,
      callbacks: {
        onTrainBegin: () => void events.push('train-begin'),
        onEpochBegin: (e) => void events.push(`epoch-begin ${e}`),
        onBatchBegin: (b) => void events.push(`batch-begin ${b}`),
        onBatchEnd: (b, logs) => {
          events.push(`batch-end ${b}`);
          epsilons.push(logs.epsilon);
          expect(logs.valLoss).toBeUndefined();
        },
        onEpochEnd: (e, logs) => {
          events.push(`epoch-end ${e}`);
          epochLogs.push(logs);
        },
        onTrainEnd: (logs) => void events.push(`train-end ${logs.reason}`),
      },
    });
    const epoch = (e: number) => [
      `epoch-begin ${e}`,
      ...[0, 1, 2, 3].flatMap((b) => [`batch-begin ${b}`, `batch-end ${b}`]),
      `epoch-end ${e}`,
    ];
    expect(events).toEqual(['train-begin', ...epoch(0), ...epoch(1), 'train-end completed']);
    expect(epsilons).toHaveLength(8);
    for (let i = 1; i < 8; i++) expect(epsilons[i]).toBeGreaterThan(epsilons[i - 1] as number);
    expect(epsilons[7]).toBe(t.getEpsilon());
    expect(epochLogs.map((l) => l.epsilon)).toEqual(history.epsilon);
    expect(epochLogs.map((l) => l.valLoss)).toEqual(history.valLoss);
    expect(epochLogs.map((l) => l.valAccuracy)).toEqual(history.valAccuracy);
    const last = t.evaluate(heldOut);
    expect(history.valLoss?.[1]).toBe(last.loss);
    expect(history.valAccuracy?.[1]).toBe(last.accuracy);
  });

  it('validation data as [x, y], { xs, ys }, or a dataset of examples or of batches, gives the same metrics', async () => {
    const xs = tf.unstack(heldOut.x);
    const ys = tf.unstack(heldOut.y);
    const forms = [
      heldOut,
      [heldOut.x, heldOut.y] as const,
      { xs: heldOut.x, ys: heldOut.y },
      tfd.zip({ xs: tfd.array(xs), ys: tfd.array(ys) }),
      tfd.zip({ xs: tfd.array(xs), ys: tfd.array(ys) }).batch(7),
    ];
    const results = [];
    for (const validationData of forms) {
      const t = trainer({ data });
      const history = await t.fit({ epochs: 1, validationData });
      results.push([history.valLoss, history.valAccuracy]);
    }
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]?.[0]).toHaveLength(1);
    tf.dispose([...xs, ...ys]);
  });

  it('stop, save, resume in a fresh run, fit(same dataset) = uninterrupted fit(dataset), bit for bit', async () => {
    const options = {
      datasetSize: size,
      epochs: 3,
      mode: 'BLT-Adam',
      learningRate: 0.1,
      varianceFloor: 1e-4,
    } as const;
    const straight = trainer(options);
    await straight.fit(examples());

    const first = trainer(options);
    await first.fit(examples(), { epochs: 1 });
    const bytes = await encodeCheckpoint(first.exportState());
    first.dispose();

    const model = classifier(3);
    model.setWeights(model.getWeights().map((w) => tf.randomNormal(w.shape, 0, 1, 'float32', 3)));
    const resumed = trainer({ ...options, model, seed: 999 });
    resumed.restoreState(await decodeCheckpoint(bytes));
    const history = await resumed.fit(examples());
    expect(history.loss).toHaveLength(2);
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    expect(resumed.getEpsilon()).toBe(straight.getEpsilon());
    straight.dispose();
    resumed.dispose();
  });
});

describe('materialiseDataset', () => {
  it('stacks single examples, concatenates batches (in chunks or at once), and owns the result', async () => {
    const shapes = [[2]];
    const before = tf.memory().numTensors;
    const read = (dataset: ExampleDataset, chunkSize?: number) =>
      materialiseDataset(dataset, {
        name: 'd',
        exampleShapes: shapes,
        inputNames: undefined,
        ...(chunkSize === undefined ? {} : { chunkSize }),
      });
    const results = [
      await read(examples()),
      await read(examples(), 5),
      await read(examples().batch(5)),
      await read(examples().batch(5), 3),
    ];
    // Only the results remain: every element and intermediate chunk was freed.
    expect(tf.memory().numTensors).toBe(before + 2 * results.length);
    for (const result of results) {
      expect(result.size).toBe(32);
      expect((result.data.x as tf.Tensor).shape).toEqual([32, 2]);
      expect(result.data.x).not.toBe(data.x);
      expect(Array.from((result.data.x as tf.Tensor).dataSync())).toEqual(Array.from(data.x.dataSync()));
      expect(Array.from(result.data.y.dataSync())).toEqual(Array.from(data.y.dataSync()));
    }
    tf.dispose(results.flatMap((result) => [result.data.x as tf.Tensor, result.data.y]));
  });

  it('frees what it read when it refuses the data midway', async () => {
    const before = tf.memory().numTensors;
    const endless = tfd.generator(function* () {
      for (;;) yield { xs: tf.zeros([2]), ys: tf.tensor1d([1, 0]) };
    });
    await expect(
      materialiseDataset(endless, {
        name: 'data',
        exampleShapes: [[2]],
        inputNames: undefined,
        expectedSize: 10,
        chunkSize: 4,
      }),
    ).rejects.toThrow(/more than 10 examples/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('without known input shapes, refuses elements whose shapes change', async () => {
    const ragged: ExampleDataset = tfd.array([
      { xs: tf.zeros([2]), ys: tf.zeros([2]) },
      { xs: tf.zeros([3]), ys: tf.zeros([2]) },
    ]);
    await expect(
      materialiseDataset(ragged, {
        name: 'data',
        exampleShapes: undefined,
        inputNames: undefined,
        expectedSize: 2,
      }),
    ).rejects.toThrow(/element 1 has shapes xs \[3\] and ys \[2\], element 0 has xs \[2\] and ys \[2\]/);
    await expect(
      materialiseDataset(tfd.array([]), { name: 'data', exampleShapes: undefined, inputNames: undefined }),
    ).rejects.toThrow(/data is empty/);
  });
});
