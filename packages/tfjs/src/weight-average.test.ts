import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { PrivacyEngine } from './privacy-engine';
import { ExponentialWeightAverage } from './weight-average';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Float64 reference of the average of a scalar weight sequence under a decay schedule. */
function referenceAverage(start: number, values: readonly number[], decays: readonly number[]): number {
  let average = start;
  values.forEach((value, i) => {
    const decay = decays[i] as number;
    average = decay * average + (1 - decay) * value;
  });
  return average;
}

describe('ExponentialWeightAverage', () => {
  it('follows the float64 recursion, with and without the warm-up of the decay', () => {
    const values = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3 + i * 0.1);
    for (const warmup of [false, true]) {
      const weight = tf.variable(tf.scalar(0.5));
      const average = new ExponentialWeightAverage([weight], { decay: 0.9, warmup });
      const decays: number[] = [];
      for (const value of values) {
        decays.push(average.nextDecay());
        weight.assign(tf.scalar(value));
        average.update();
      }
      const expectedDecays = values.map((_, i) => (warmup ? Math.min(0.9, (2 + i) / (11 + i)) : 0.9));
      expect(decays).toEqual(expectedDecays);
      const [result] = average.averagedWeights();
      expect((result as tf.Tensor).dataSync()[0]).toBeCloseTo(referenceAverage(0.5, values, decays), 5);
      tf.dispose([result as tf.Tensor, weight]);
      average.dispose();
    }
  });

  it('copies the weights before startStep and averages from it on', () => {
    const weight = tf.variable(tf.scalar(0));
    const average = new ExponentialWeightAverage([weight], { decay: 0.5, warmup: false, startStep: 3 });
    for (const value of [10, 20, 30, 40]) {
      weight.assign(tf.scalar(value));
      average.update();
    }
    // Steps 1 and 2 copy (average 20), step 3 gives 0.5 * 20 + 0.5 * 30 = 25, step 4 gives 32.5.
    const [result] = average.averagedWeights();
    expect((result as tf.Tensor).dataSync()[0]).toBeCloseTo(32.5, 6);
    tf.dispose([result as tf.Tensor, weight]);
    average.dispose();
  });

  it('evaluates a model on the averaged weights and restores the trained ones, also when the evaluation throws', () => {
    const model = classifier(4);
    const input = tf.tensor2d([[0.3, -1.2]]);
    const average = new ExponentialWeightAverage(model, { decay: 0.5, warmup: false });
    const initial = (model.predict(input) as tf.Tensor).arraySync();
    for (const w of model.trainableWeights) {
      const value = w.read();
      w.write(tf.tidy(() => tf.add(value, 1)));
    }
    average.update();
    const trained = (model.predict(input) as tf.Tensor).arraySync();
    // The average is halfway between the initial and the shifted weights: shift every weight by 0.5.
    const halfway = classifier(4);
    for (const w of halfway.trainableWeights) {
      const value = w.read();
      w.write(tf.tidy(() => tf.add(value, 0.5)));
    }
    const expected = (halfway.predict(input) as tf.Tensor).arraySync();
    const averaged = average.withAveragedWeights(() => (model.predict(input) as tf.Tensor).arraySync());
    expect(averaged).not.toEqual(trained);
    expect(averaged).not.toEqual(initial);
    (averaged as number[][])[0]?.forEach((p, i) => {
      expect(p).toBeCloseTo((expected as number[][])[0]?.[i] as number, 6);
    });
    expect((model.predict(input) as tf.Tensor).arraySync()).toEqual(trained);
    expect(() =>
      average.withAveragedWeights(() => {
        throw new Error('evaluation failed');
      }),
    ).toThrow('evaluation failed');
    expect((model.predict(input) as tf.Tensor).arraySync()).toEqual(trained);
    average.dispose();
  });

  it('is post-processing: training with an average gives the same weights as training without', () => {
    const run = (withAverage: boolean) => {
      const model = classifier();
      const trainer = new PrivacyEngine().makePrivate({
        model,
        lossFn: crossEntropy,
        data: separableTask(32, 2),
        epochs: 2,
        batchSize: 8,
        noiseMultiplier: 1,
        maxGradNorm: 1,
        mode: 'BLT',
        seed: 7,
      });
      const average = withAverage ? new ExponentialWeightAverage(model) : undefined;
      for (let step = 0; step < trainer.totalSteps; step += 1) {
        trainer.step();
        average?.update();
        average?.withAveragedWeights(() => tf.dispose(model.predict(tf.zeros([1, 2])) as tf.Tensor));
      }
      average?.dispose();
      return model.getWeights().map((w) => Array.from(w.dataSync()));
    };
    expect(run(true)).toEqual(run(false));
  });

  it('round-trips its state and refuses states of another shape', () => {
    const weights: tf.Variable[] = [tf.variable(tf.tensor1d([1, 2, 3])), tf.variable(tf.scalar(4))];
    const average = new ExponentialWeightAverage(weights, { decay: 0.8 });
    weights[0]?.assign(tf.tensor1d([5, 6, 7]));
    average.update();
    average.update();
    const state = average.exportState();
    const copy = new ExponentialWeightAverage(weights, { decay: 0.8 });
    copy.restoreState(state);
    expect(copy.updates).toBe(2);
    expect(copy.exportState()).toEqual(state);
    average.update();
    copy.update();
    expect(copy.exportState()).toEqual(average.exportState());
    expect(() => copy.restoreState({ ...state, averages: [new Float32Array(3)] })).toThrow(/state.averages/);
    expect(() =>
      copy.restoreState({ ...state, averages: [new Float32Array(2), new Float32Array(1)] }),
    ).toThrow(/state.averages\[0\]/);
    expect(() => copy.restoreState({ ...state, updates: -1 })).toThrow(/state.updates/);
    average.dispose();
    copy.dispose();
    tf.dispose(weights);
  });

  it('names a bad option and refuses use after dispose', () => {
    const weight = tf.variable(tf.scalar(1));
    expect(() => new ExponentialWeightAverage([weight], { decay: 1 })).toThrow(
      /decay must be a finite number in \[0, 1\)/,
    );
    expect(() => new ExponentialWeightAverage([weight], { decay: Number.NaN })).toThrow(/decay/);
    expect(() => new ExponentialWeightAverage([weight], { startStep: 1.5 })).toThrow(/startStep/);
    expect(() => new ExponentialWeightAverage([])).toThrow(/trainable variable/);
    const average = new ExponentialWeightAverage([weight]);
    average.dispose();
    expect(() => average.update()).toThrow(/disposed/);
    weight.dispose();
  });

  it('leaks no tensors', () => {
    const weight = tf.variable(tf.ones([3, 3]));
    const average = new ExponentialWeightAverage([weight]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i += 1) {
      average.update();
      average.withAveragedWeights(() => tf.tidy(() => tf.sum(weight).dataSync()));
    }
    expect(tf.memory().numTensors).toBe(before);
    average.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    weight.dispose();
  });
});

describe('weightAverage option of a private run', () => {
  const makeRun = (options: { weightAverage?: { decay?: number }; seed?: number } = {}) => {
    const model = classifier(3);
    const data = separableTask(32, 2);
    const trainer = new PrivacyEngine().makePrivate({
      model,
      lossFn: crossEntropy,
      data,
      epochs: 3,
      batchSize: 8,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      seed: options.seed ?? 7,
      ...(options.weightAverage === undefined ? {} : { weightAverage: options.weightAverage }),
    });
    return { model, data, trainer };
  };
  const weightsOf = (model: { getWeights(): tf.Tensor[] }) =>
    model.getWeights().map((w) => Array.from(w.dataSync()));

  it('averages the iterates after every step, exactly as a standalone average does, without changing them', () => {
    const plain = makeRun();
    const averaged = makeRun({ weightAverage: { decay: 0.9 } });
    const standalone = new ExponentialWeightAverage(plain.model, { decay: 0.9 });
    for (let step = 0; step < 6; step += 1) {
      plain.trainer.step();
      standalone.update();
      averaged.trainer.step();
    }
    expect(weightsOf(averaged.model)).toEqual(weightsOf(plain.model));
    expect(averaged.trainer.weightAverage?.updates).toBe(6);
    const fromTrainer = averaged.trainer.weightAverage?.averagedWeights() ?? [];
    const expected = standalone.averagedWeights();
    expect(fromTrainer.map((t) => Array.from(t.dataSync()))).toEqual(
      expected.map((t) => Array.from(t.dataSync())),
    );
    // The average differs from the last iterate, and evaluate() can use either.
    expect(fromTrainer.map((t) => Array.from(t.dataSync()))).not.toEqual(weightsOf(averaged.model));
    const test = separableTask(20, 9);
    const onAverage = averaged.trainer.evaluate(test, { weights: 'averaged' });
    const byHand = standalone.withAveragedWeights(() => plain.trainer.evaluate(test));
    expect(onAverage).toEqual(byHand);
    expect(averaged.trainer.evaluate(test)).toEqual(plain.trainer.evaluate(test));
    expect(() => plain.trainer.evaluate(test, { weights: 'averaged' })).toThrow(/weightAverage option/);
    tf.dispose([...fromTrainer, ...expected]);
    standalone.dispose();
  });

  it('reports the validation metrics of the average in the fit logs and history', async () => {
    const { trainer } = makeRun({ weightAverage: {} });
    const validationData = separableTask(20, 5);
    const logged: number[] = [];
    const history = await trainer.fit({
      epochs: 2,
      validationData,
      callbacks: {
        onEpochEnd: (_epoch, logs) => {
          logged.push(logs.averagedValAccuracy as number);
        },
      },
    });
    expect(history.averagedValAccuracy).toHaveLength(2);
    expect(history.averagedValLoss).toHaveLength(2);
    expect(logged).toEqual(history.averagedValAccuracy);
    expect(history.averagedValLoss?.[1]).toBe(trainer.evaluate(validationData, { weights: 'averaged' }).loss);
    const without = await makeRun().trainer.fit({ epochs: 1, validationData });
    expect(without.averagedValAccuracy).toBeUndefined();
  });

  it('is checkpointed: a resumed run ends with the same average, bit for bit, and mismatches are refused', async () => {
    const whole = makeRun({ weightAverage: { decay: 0.95 } });
    for (let step = 0; step < 8; step += 1) whole.trainer.step();

    const first = makeRun({ weightAverage: { decay: 0.95 } });
    for (let step = 0; step < 3; step += 1) first.trainer.step();
    const bytes = await encodeCheckpoint(first.trainer.exportState());
    const resumed = makeRun({ weightAverage: { decay: 0.95 }, seed: 99 });
    resumed.trainer.restoreState(await decodeCheckpoint(bytes));
    for (let step = 3; step < 8; step += 1) resumed.trainer.step();
    expect(resumed.trainer.weightAverage?.exportState()).toEqual(whole.trainer.weightAverage?.exportState());
    expect(weightsOf(resumed.model)).toEqual(weightsOf(whole.model));

    const state = first.trainer.exportState();
    expect(() => makeRun().trainer.restoreState(state)).toThrow(/weight average/);
    expect(() => makeRun({ weightAverage: { decay: 0.5 } }).trainer.restoreState(state)).toThrow(
      /weightAverage is/,
    );
    const { weightAverage: _dropped, ...withoutAverage } = state;
    expect(() => makeRun({ weightAverage: { decay: 0.95 } }).trainer.restoreState(withoutAverage)).toThrow(
      /must hold the weight average/,
    );
  });

  it('names a bad option', () => {
    expect(() => makeRun({ weightAverage: { decay: 1.5 } })).toThrow(
      /weightAverage.decay must be a finite number in \[0, 1\)/,
    );
    expect(() => makeRun({ weightAverage: { delay: 0.9 } as { decay?: number } })).toThrow(
      /unknown weightAverage option\(s\) delay/,
    );
  });
});
