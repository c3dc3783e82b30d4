import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy, separableTask } from '../test/engine-fixtures';
import { loadCheckpointFile, saveCheckpointFile, TerminalProgressBar } from './node';
import { PrivacyEngine } from './privacy-engine';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cnm-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function trainer() {
  return new PrivacyEngine().makePrivate({
    model: classifier(),
    lossFn: crossEntropy,
    data: separableTask(16, 2),
    epochs: 2,
    batchSize: 4,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    mode: 'BLT',
    seed: 8,
  });
}

describe('checkpoint files', () => {
  it('saves by write-then-rename and loads back the same state', async () => {
    const t = trainer();
    t.step();
    const path = join(dir, 'run.ckpt');
    await saveCheckpointFile(t, path);
    t.step();
    await saveCheckpointFile(t, path);
    expect(await readdir(dir)).toEqual(['run.ckpt']);
    const state = await loadCheckpointFile(path);
    expect(state.step).toBe(2);
    expect(state).toEqual(t.exportState());
  });

  it('a failed save leaves the previous checkpoint intact and no temporary file', async () => {
    const t = trainer();
    const path = join(dir, 'keep.ckpt');
    await saveCheckpointFile(t, path);
    const before = await readFile(path);
    // The rename fails when the target is a non-empty directory: the old file stays, the temporary goes.
    const blocked = join(dir, 'blocked');
    await mkdir(join(blocked, 'inside'), { recursive: true });
    await expect(saveCheckpointFile(t, blocked)).rejects.toThrow();
    // A state that cannot be serialised fails before anything is written.
    const circular: Record<string, unknown> = { ...t.exportState() };
    circular.self = circular;
    // biome-ignore lint/suspicious/noExplicitAny: a deliberately broken state
    await expect(saveCheckpointFile(circular as any, path)).rejects.toThrow();
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('TerminalProgressBar', () => {
  it('redraws in place on a terminal and writes one line per epoch elsewhere', async () => {
    const tty: string[] = [];
    const log: string[] = [];
    const t = trainer();
    await t.fit({
      epochs: 1,
      callbacks: [
        new TerminalProgressBar({ stream: { write: (s: string) => tty.push(s), isTTY: true }, width: 4 }),
        new TerminalProgressBar({ stream: { write: (s: string) => log.push(s) }, width: 4 }),
      ],
    });
    expect(tty).toHaveLength(5);
    expect(tty[0]).toMatch(/^\repoch 1\/2 \[#\.\.\.\] 1\/4 loss \d\.\d{4} eps -$/);
    expect(log).toEqual([expect.stringMatching(/^epoch 1\/2 \[####\] 4\/4 loss \d\.\d{4} eps -\n$/)]);
  });

  it('draws the same bar for fit(dataset), with the validation metrics at the end of each epoch', async () => {
    const log: string[] = [];
    const { x, y } = separableTask(16, 2);
    const xs = tf.unstack(x);
    const ys = tf.unstack(y);
    const t = new PrivacyEngine().makePrivate({
      model: classifier(),
      lossFn: crossEntropy,
      datasetSize: 16,
      epochs: 2,
      batchSize: 4,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      mode: 'BLT',
      seed: 8,
    });
    await t.fit(tfd.zip({ xs: tfd.array(xs), ys: tfd.array(ys) }), {
      validationData: { x, y },
      callbacks: new TerminalProgressBar({ stream: { write: (s: string) => log.push(s) }, width: 4 }),
    });
    expect(log).toEqual([
      expect.stringMatching(
        /^epoch 1\/2 \[####\] 4\/4 loss \d\.\d{4} eps - val_loss \d\.\d{4} val_acc [01]\.\d{3}\n$/,
      ),
      expect.stringMatching(
        /^epoch 2\/2 \[####\] 4\/4 loss \d\.\d{4} eps - val_loss \d\.\d{4} val_acc [01]\.\d{3}\n$/,
      ),
    ]);
    t.dispose();
    tf.dispose([x, y, ...xs, ...ys]);
  });
});

describe('entries', () => {
  it('the main entry never loads the Node-only one', async () => {
    const index = await readFile(join(import.meta.dirname, 'index.ts'), 'utf8');
    expect(index).not.toMatch(/from '\.\/node'/);
    expect(index).toMatch(/from '\.\/privacy-engine'/);
  });
});
