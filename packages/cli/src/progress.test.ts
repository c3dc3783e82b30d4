import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFitProgressBar } from './progress';

function terminal(): { stream: NodeJS.WritableStream; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

const progress = { bufferCount: 2, start: 0, iteration: 5, loss: 3, bestLoss: 2.5 };

describe('createFitProgressBar', () => {
  it('draws on a terminal', () => {
    const { stream, text } = terminal();
    const bar = createFitProgressBar(stream, true, 100);
    bar.onProgress(progress);
    bar.stop();
    expect(text()).toMatch(/fitting \|.*\| buffers 2, start 1, iteration 5\/100, best loss 2\.50000/);
  });

  it('stays silent when disabled or when the stream is not a terminal', () => {
    for (const [enabled, isTTY] of [
      [false, true],
      [true, false],
    ] as const) {
      const stream = Object.assign(new PassThrough(), { isTTY });
      const chunks: unknown[] = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      const bar = createFitProgressBar(stream, enabled, 100);
      bar.onProgress(progress);
      bar.stop();
      expect(chunks).toHaveLength(0);
    }
  });
});
