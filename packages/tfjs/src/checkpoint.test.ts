import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { CHECKPOINT_MAGIC, decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { PrivacyEngine } from './privacy-engine';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function checkpointBytes(): Promise<Uint8Array> {
  const trainer = new PrivacyEngine().makePrivate({
    model: classifier(),
    lossFn: crossEntropy,
    data: separableTask(16, 1),
    epochs: 2,
    batchSize: 4,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode: 'BLT-Adam',
    seed: 4,
  });
  trainer.step();
  return encodeCheckpoint(trainer.exportState());
}

describe('checkpoint format', () => {
  it('round-trips typed arrays, bigints and non-finite numbers exactly', async () => {
    const state = {
      fingerprint: { a: 1 },
      step: 0,
      values: new Float32Array([1.5, -0, 3e-40]),
      doubles: new Float64Array([Math.PI, Number.MIN_VALUE]),
      ints: new Int32Array([-7, 2 ** 31 - 1]),
      big: 2n ** 64n - 1n,
      infinity: Number.POSITIVE_INFINITY,
    };
    // biome-ignore lint/suspicious/noExplicitAny: a synthetic state
    const back = (await decodeCheckpoint(await encodeCheckpoint(state as any))) as unknown as typeof state;
    expect(back).toEqual(state);
    expect(Object.is(back.values[1], -0)).toBe(true);
  });

  it('starts with the magic line and a versioned header carrying the SHA-256', async () => {
    const bytes = await checkpointBytes();
    const text = new TextDecoder().decode(bytes.subarray(0, 200));
    expect(text.startsWith(`${CHECKPOINT_MAGIC}\n{"format":"cnm-trainer-state","version":1,"sha256":"`)).toBe(
      true,
    );
  });

  it('refuses a corrupted payload (one flipped byte)', async () => {
    const bytes = await checkpointBytes();
    const corrupted = bytes.slice();
    const at = bytes.length - 50;
    corrupted[at] = (corrupted[at] as number) ^ 1;
    await expect(decodeCheckpoint(corrupted)).rejects.toThrow(/SHA-256 of its payload differs/);
  });

  it('refuses a truncated file', async () => {
    const bytes = await checkpointBytes();
    await expect(decodeCheckpoint(bytes.subarray(0, bytes.length - 1))).rejects.toThrow(
      /truncated: its payload has/,
    );
    await expect(decodeCheckpoint(bytes.subarray(0, 20))).rejects.toThrow(/truncated: its header/);
  });

  it('refuses trailing bytes, another magic and an unknown version', async () => {
    const bytes = await checkpointBytes();
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    await expect(decodeCheckpoint(longer)).rejects.toThrow(/1 bytes follow the declared payload/);
    await expect(decodeCheckpoint(new TextEncoder().encode('PK\u0003\u0004\nzip'))).rejects.toThrow(
      /not a checkpoint/,
    );
    const text = new TextDecoder().decode(bytes).replace('"version":1', '"version":9');
    await expect(decodeCheckpoint(new TextEncoder().encode(text))).rejects.toThrow(
      /version 9 is not supported/,
    );
  });

  it('refuses a state whose parts disagree', async () => {
    const state = await decodeCheckpoint(await checkpointBytes());
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: crossEntropy,
      data: separableTask(16, 1),
      epochs: 2,
      batchSize: 4,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT-Adam',
      seed: 4,
    });
    expect(() => trainer.restoreState({ ...state, step: 2 })).toThrow(/inconsistent/);
    expect(() => trainer.restoreState({ ...state, weights: state.weights.slice(1) })).toThrow(
      /must hold 2 model weights/,
    );
    expect(trainer.steps).toBe(0);
    trainer.restoreState(state);
    expect(trainer.steps).toBe(1);
  });

  it('a step that failed midway blocks the run until a checkpoint is restored', async () => {
    let fail = false;
    const trainer = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: (y, p) => {
        if (fail) throw new Error('loss failed');
        return crossEntropy(y, p);
      },
      data: separableTask(16, 1),
      epochs: 2,
      batchSize: 4,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      seed: 4,
    });
    trainer.step();
    const saved = trainer.exportState();
    fail = true;
    expect(() => trainer.step()).toThrow('loss failed');
    fail = false;
    expect(() => trainer.step()).toThrow(/failed midway/);
    trainer.restoreState(saved);
    trainer.step();
    expect(trainer.steps).toBe(2);
  });
});
