import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/index';
import { CHECKPOINT_RUNS, makeRun, STEPS_AFTER, STEPS_BEFORE } from './fixtures/checkpoints/runs';

const here = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'checkpoints');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkpoints written by earlier versions of the engine', () => {
  it.each(Object.keys(CHECKPOINT_RUNS))(
    '%s: loads and resumes exactly as the run that wrote it',
    async (name) => {
      const options = CHECKPOINT_RUNS[name] as (typeof CHECKPOINT_RUNS)[string];
      const expected = JSON.parse(readFileSync(join(here, `${name}.expected.json`), 'utf8'));
      const trainer = makeRun(options());
      expect(trainer.report.noiseMultiplier).toBe(expected.noiseMultiplier);
      expect(trainer.report.gradientNoiseMultiplier).toBe(expected.gradientNoiseMultiplier);
      expect(trainer.report.sensitivity).toBe(expected.sensitivity);
      trainer.restoreState(await decodeCheckpoint(new Uint8Array(readFileSync(join(here, `${name}.cnm`)))));
      expect(trainer.steps).toBe(STEPS_BEFORE);
      for (let i = 0; i < STEPS_AFTER; i++) trainer.step();
      expect(trainer.steps).toBe(expected.steps);
      expect(trainer.getEpsilon(1e-5)).toBe(expected.epsilon);
      const weights = (trainer.model as unknown as { weights: { read(): tf.Tensor }[] }).weights.map((w) =>
        Array.from(w.read().dataSync()),
      );
      expect(weights).toEqual(expected.weights);
    },
  );
});
