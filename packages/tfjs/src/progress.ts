/** A dependency-free text progress bar, browser-safe (the terminal writer lives in `@cnm/tfjs/node`). */
import { assertInteger } from './validate';

/** What {@link renderProgressBar} shows. */
export interface ProgressLine {
  /** Steps done in the current epoch. */
  readonly current: number;
  /** Steps of the epoch. */
  readonly total: number;
  /** Epoch (1-based) and number of epochs. */
  readonly epoch: number;
  /** Epochs of the run. */
  readonly epochs: number;
  /** Latest loss. */
  readonly loss: number;
  /** Epsilon spent so far (`NaN` when unknown). */
  readonly epsilon: number;
  /** Validation loss, shown when given (end of an epoch trained with validation data). */
  readonly valLoss?: number;
  /** Validation accuracy, shown when given. */
  readonly valAccuracy?: number;
}

/**
 * One line like `epoch 2/8 [##########..........] 5/10 loss 0.4213 eps 1.230`, with a bar of `width`
 * characters (integer >= 1), followed by `val_loss 0.3912 val_acc 0.950` when validation metrics are given.
 */
export function renderProgressBar(line: ProgressLine, width = 24): string {
  assertInteger('width', width, 1);
  const fraction = line.total > 0 ? Math.min(1, Math.max(0, line.current / line.total)) : 1;
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const loss = Number.isFinite(line.loss) ? line.loss.toFixed(4) : '-';
  const epsilon = Number.isFinite(line.epsilon)
    ? line.epsilon.toFixed(3)
    : Number.isNaN(line.epsilon)
      ? '-'
      : 'inf';
  const validation =
    (line.valLoss === undefined
      ? ''
      : ` val_loss ${Number.isFinite(line.valLoss) ? line.valLoss.toFixed(4) : '-'}`) +
    (line.valAccuracy === undefined ? '' : ` val_acc ${line.valAccuracy.toFixed(3)}`);
  return `epoch ${line.epoch}/${line.epochs} [${bar}] ${line.current}/${line.total} loss ${loss} eps ${epsilon}${validation}`;
}
