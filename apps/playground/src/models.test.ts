import '@tensorflow/tfjs-backend-cpu';
import { collectTrainableLayers } from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from './models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createModel', () => {
  it('builds the models with the parameter counts the page shows, all supported by the engine', () => {
    const counts = {
      'small-cnn': 80 + 1168 + 144 * 10 + 10,
      'benchmark-cnn': 107_146,
      mlp: 784 * 64 + 64 + 650,
    };
    for (const [name, parameters] of Object.entries(counts)) {
      const model = createModel(name as keyof typeof counts, 784, 10);
      expect(model.countParams()).toBe(parameters);
      expect(() => collectTrainableLayers(model)).not.toThrow();
      expect(tf.tidy(() => (model.predict(tf.zeros([2, 784])) as tf.Tensor).shape)).toEqual([2, 10]);
      model.dispose();
    }
  });

  it('takes any feature count for the MLP, and refuses non-image data for the CNNs', () => {
    expect(createModel('mlp', 5, 3).countParams()).toBe(5 * 64 + 64 + 64 * 3 + 3);
    expect(() => createModel('small-cnn', 5, 3)).toThrow(/the CNNs need 784 features.*have 5; use the MLP/);
  });
});
