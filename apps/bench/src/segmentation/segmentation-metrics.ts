import * as tf from '@tensorflow/tfjs-core';

/**
 * Probability above which a pixel counts as foreground. The U-Net outputs one logit per pixel, so this is
 * `logit > 0`; a probability of exactly 0.5 is background.
 */
export const FOREGROUND_THRESHOLD = 0.5;

/** Dice and IoU of one image, or their means over a set of images. */
export interface SegmentationScores {
  /** Dice coefficient `2|P∩G| / (|P| + |G|)`, in [0, 1]. */
  readonly dice: number;
  /** Intersection over union (Jaccard) `|P∩G| / |P∪G|`, in [0, 1]. */
  readonly iou: number;
}

/**
 * Dice and IoU of one image from its pixel counts: `intersection` = |P∩G|, `predicted` = |P|, `truth` = |G|.
 * An image whose prediction and ground truth are both empty scores 1 on both (nothing to find, nothing found);
 * when only one of them is empty both scores are 0, as the formulas give.
 */
export function scoresFromCounts(intersection: number, predicted: number, truth: number): SegmentationScores {
  if (!(intersection >= 0 && intersection <= Math.min(predicted, truth))) {
    throw new RangeError(
      `intersection must be in [0, min(predicted, truth)] = [0, ${Math.min(predicted, truth)}], got ${intersection}`,
    );
  }
  const union = predicted + truth - intersection;
  if (union === 0) return { dice: 1, iou: 1 };
  return { dice: (2 * intersection) / (predicted + truth), iou: intersection / union };
}

/**
 * Per-image Dice and IoU of predicted foreground probabilities against binary masks (a mask pixel > 0.5 is
 * foreground), for `probabilities` and `masks` laid out image after image, `pixelsPerImage` values each.
 */
export function perImageScores(
  probabilities: ArrayLike<number>,
  masks: ArrayLike<number>,
  pixelsPerImage: number,
  threshold = FOREGROUND_THRESHOLD,
): SegmentationScores[] {
  if (!Number.isInteger(pixelsPerImage) || pixelsPerImage < 1) {
    throw new RangeError(`pixelsPerImage must be a positive integer, got ${pixelsPerImage}`);
  }
  if (probabilities.length !== masks.length || probabilities.length % pixelsPerImage !== 0) {
    throw new RangeError(
      `probabilities (${probabilities.length}) and masks (${masks.length}) must have the same length, a multiple of pixelsPerImage = ${pixelsPerImage}`,
    );
  }
  if (!(threshold >= 0 && threshold <= 1))
    throw new RangeError(`threshold must be in [0, 1], got ${threshold}`);
  const scores: SegmentationScores[] = [];
  for (let start = 0; start < probabilities.length; start += pixelsPerImage) {
    let intersection = 0;
    let predicted = 0;
    let truth = 0;
    for (let i = start; i < start + pixelsPerImage; i += 1) {
      const p = probabilities[i]!;
      if (Number.isNaN(p)) throw new RangeError(`probabilities must not be NaN (pixel ${i})`);
      const isPredicted = p > threshold;
      const isTruth = masks[i]! > 0.5;
      if (isPredicted) predicted += 1;
      if (isTruth) truth += 1;
      if (isPredicted && isTruth) intersection += 1;
    }
    scores.push(scoresFromCounts(intersection, predicted, truth));
  }
  return scores;
}

/** Mean Dice and mean IoU over images (each image weighs the same, whatever its mask's size). */
export function meanScores(scores: readonly SegmentationScores[]): SegmentationScores {
  if (scores.length === 0) throw new RangeError('meanScores needs at least one image');
  let dice = 0;
  let iou = 0;
  for (const s of scores) {
    dice += s.dice;
    iou += s.iou;
  }
  return { dice: dice / scores.length, iou: iou / scores.length };
}

/**
 * Mean per-image Dice and IoU of a model that outputs one logit per pixel, on images `x` `[N, H, W, 1]` with
 * masks `y` of the same shape, predicting `chunk` images at a time.
 */
export function evaluateSegmentation(
  model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] },
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  chunk = 64,
): SegmentationScores {
  const count = x.shape[0];
  const pixels = x.shape[1] * x.shape[2] * x.shape[3];
  const scores: SegmentationScores[] = [];
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    const [probabilities, masks] = tf.tidy(() => [
      tf.sigmoid(model.predict(tf.slice(x, start, size)) as tf.Tensor).dataSync(),
      tf.slice(y, start, size).dataSync(),
    ]);
    scores.push(...perImageScores(probabilities!, masks!, pixels));
  }
  return meanScores(scores);
}
