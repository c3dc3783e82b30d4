import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import type { ClippedGradientsProvider, ClippedGradientsRequest } from './clipped-gradients-provider';
import { computeClippedGradients } from './compute-clipped-gradients';
import type { MakePrivateOptions } from './engine-options';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A provider computing in this thread, asynchronously: what any provider must be equivalent to. */
class LocalProvider implements ClippedGradientsProvider {
  readonly requests: ClippedGradientsRequest[] = [];
  fail: Error | undefined;

  async compute(request: ClippedGradientsRequest) {
    this.requests.push(request);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.fail !== undefined) throw this.fail;
    const index = tf.tensor1d(Array.from(request.indices), 'int32');
    const x = tf.gather(request.data.x as tf.Tensor, index);
    const y = tf.gather(request.data.y, index);
    try {
      return computeClippedGradients({
        model: request.model,
        lossFn: crossEntropy,
        x,
        y,
        clipping: request.clipping,
        ...(request.physicalBatchSize === undefined ? {} : { physicalBatchSize: request.physicalBatchSize }),
      });
    } finally {
      tf.dispose([index, x, y]);
    }
  }
}

const data = separableTask(24, 4);
const options = (extra: Partial<MakePrivateOptions> = {}): MakePrivateOptions => ({
  model: classifier(3),
  lossFn: crossEntropy,
  data,
  epochs: 2,
  batchSize: 6,
  noiseMultiplier: 0.8,
  maxGradNorm: 0.5,
  mode: 'BLT',
  seed: 5,
  physicalBatchSize: 4,
  ...extra,
});

describe('engine option clippedGradients', () => {
  it('steps through the provider (stepAsync, fit) exactly as in-process', async () => {
    const provider = new LocalProvider();
    const engine = new PrivacyEngine();
    const local = engine.makePrivate(options());
    const pooled = engine.makePrivate(options({ clippedGradients: provider }));
    // Without a provider stepAsync is step.
    const localLoss = await local.stepAsync();
    expect(await pooled.stepAsync()).toBe(localLoss);
    await local.fit();
    await pooled.fit();
    // 1 + 7 steps through the provider, each with the batch the sampler drew and the run's options.
    expect(provider.requests).toHaveLength(8);
    expect(provider.requests[0]!.physicalBatchSize).toBe(4);
    expect(provider.requests[0]!.indices).toHaveLength(6);
    expect(provider.requests[0]!.data.x).toBe(data.x);
    const values = (t: typeof local) => t.exportState().weights.map((w) => w.values);
    expect(values(pooled)).toEqual(values(local));
    expect(pooled.exportState().optimizer).toEqual(local.exportState().optimizer);
  });

  it('a failed provider step needs a checkpoint; one step at a time; bad providers refused', async () => {
    const provider = new LocalProvider();
    const trainer = new PrivacyEngine().makePrivate(options({ clippedGradients: provider }));
    await trainer.stepAsync();
    const saved = trainer.exportState();
    provider.fail = new RangeError('worker 1: out of memory');
    await expect(trainer.stepAsync()).rejects.toThrow('worker 1: out of memory');
    expect(trainer.steps).toBe(1);
    provider.fail = undefined;
    await expect(trainer.stepAsync()).rejects.toThrow(/failed midway/);
    trainer.restoreState(saved);
    const first = trainer.stepAsync();
    await expect(trainer.stepAsync()).rejects.toThrow(/already running/);
    await first;
    expect(trainer.steps).toBe(2);
    expect(() => trainer.step()).toThrow(/use stepAsync/);
    expect(() => new PrivacyEngine().makePrivate(options({ clippedGradients: {} as never }))).toThrow(
      /clippedGradients must be a ClippedGradientsProvider/,
    );
  });
});
