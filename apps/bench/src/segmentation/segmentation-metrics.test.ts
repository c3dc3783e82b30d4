import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateSegmentation, meanScores, perImageScores, scoresFromCounts } from './segmentation-metrics';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('segmentation metrics', () => {
  it('scores images against hand-counted Dice and IoU', () => {
    // Image 1 (6 pixels): predicted {0, 1, 3} (0.5 is not above the threshold), truth {0, 1, 2}:
    // |P∩G| = 2, Dice = 2·2 / (3 + 3) = 2/3, IoU = 2 / 4 = 1/2.
    // Image 2: nothing predicted, nothing to find: 1 and 1. Image 3: truth {5}, nothing predicted: 0 and 0.
    // Image 4: predicted {0..5}, truth {2}: Dice = 2 / 7, IoU = 1 / 6.
    const probabilities = [
      [0.9, 0.8, 0.2, 0.6, 0.5, 0.1],
      [0.1, 0.1, 0.1, 0.1, 0.1, 0.5],
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.2],
      [0.6, 0.7, 0.8, 0.9, 1, 0.51],
    ].flat();
    const masks = [
      [1, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1],
      [0, 0, 1, 0, 0, 0],
    ].flat();
    const scores = perImageScores(probabilities, masks, 6);
    const expected = [
      { dice: 2 / 3, iou: 1 / 2 },
      { dice: 1, iou: 1 },
      { dice: 0, iou: 0 },
      { dice: 2 / 7, iou: 1 / 6 },
    ];
    scores.forEach((s, i) => {
      expect(s.dice).toBeCloseTo(expected[i]!.dice, 12);
      expect(s.iou).toBeCloseTo(expected[i]!.iou, 12);
    });
    const mean = meanScores(scores);
    expect(mean.dice).toBeCloseTo((2 / 3 + 1 + 0 + 2 / 7) / 4, 12);
    expect(mean.iou).toBeCloseTo((1 / 2 + 1 + 0 + 1 / 6) / 4, 12);
    // Dice = 2 IoU / (1 + IoU) image by image.
    for (const s of scores) expect(s.dice).toBeCloseTo((2 * s.iou) / (1 + s.iou), 12);
  });

  it('uses the threshold given', () => {
    // At 0.85 only pixel 0 is predicted: |P∩G| = 1, |P| = 1, |G| = 3: Dice 2/4, IoU 1/3.
    const [s] = perImageScores([0.9, 0.8, 0.2, 0.6, 0.5, 0.1], [1, 1, 1, 0, 0, 0], 6, 0.85);
    expect(s!.dice).toBeCloseTo(0.5, 12);
    expect(s!.iou).toBeCloseTo(1 / 3, 12);
  });

  it('evaluates a model image by image across prediction chunks', () => {
    // A "model" whose logit is x - 0.5: a pixel is predicted when x > 0.5. Three 2x2 images.
    const model = { predict: (x: tf.Tensor) => tf.sub(x, 0.5) };
    const x = tf.tensor4d([0.9, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [3, 2, 2, 1]);
    // Image 1: P = {0, 1}, G = {0, 2}: Dice 1/2, IoU 1/3. Image 2: P = G = {0}: 1, 1. Image 3: both empty: 1, 1.
    const y = tf.tensor4d([1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [3, 2, 2, 1]);
    for (const chunk of [1, 2, 64]) {
      const mean = evaluateSegmentation(model, x, y, chunk);
      expect(mean.dice).toBeCloseTo((0.5 + 1 + 1) / 3, 6);
      expect(mean.iou).toBeCloseTo((1 / 3 + 1 + 1) / 3, 6);
    }
    tf.dispose([x, y]);
  });

  it('refuses bad input with the parameter named', () => {
    expect(() => perImageScores([0.1, 0.2], [0, 1, 1], 1)).toThrow(/same length/);
    expect(() => perImageScores([0.1, 0.2], [0, 1], 0)).toThrow(/pixelsPerImage/);
    expect(() => perImageScores([0.1, 0.2], [0, 1], 1, 2)).toThrow(/threshold must be in \[0, 1\]/);
    expect(() => perImageScores([Number.NaN], [0], 1)).toThrow(/NaN/);
    expect(() => scoresFromCounts(3, 2, 5)).toThrow(/intersection/);
    expect(() => meanScores([])).toThrow(/at least one image/);
  });
});
