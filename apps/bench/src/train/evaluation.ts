import { ExponentialWeightAverage } from '@cnm/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { WeightAverageSettings } from './result';
import { accuracyPercent, type SplitTensors } from './tensors';

/** Test accuracies of one evaluation: the last iterate and, when one is kept, the weight average. */
export interface EpochAccuracy {
  /** Accuracy of the trained (last) weights, percent. */
  readonly accuracy: number;
  /** Accuracy of the averaged weights, percent; absent without an average. */
  readonly averagedAccuracy?: number;
}

/**
 * Tracks a row's test accuracy per epoch, of the last iterate and of an exponential moving average of the
 * weights (updated after every step; post-processing, so it costs no privacy and changes no trained weight).
 */
export class EpochEvaluator {
  readonly accuracyPerEpoch: number[] = [];
  readonly averagedAccuracyPerEpoch: number[] = [];
  readonly #average: ExponentialWeightAverage | undefined;

  /** Starts the average at the model's current weights, unless `settings` is null. */
  constructor(
    readonly model: LayersModel,
    readonly test: SplitTensors,
    readonly settings: WeightAverageSettings | null,
  ) {
    this.#average = settings == null ? undefined : new ExponentialWeightAverage(model, settings);
  }

  /** Folds the weights after an optimizer step into the average. */
  afterStep(): void {
    this.#average?.update();
  }

  /** Evaluates both weight sets on the test split and records the accuracies. */
  evaluate(): EpochAccuracy {
    const accuracy = accuracyPercent(this.model, this.test);
    this.accuracyPerEpoch.push(accuracy);
    if (this.#average == null) return { accuracy };
    const averagedAccuracy = this.#average.withAveragedWeights(() => accuracyPercent(this.model, this.test));
    this.averagedAccuracyPerEpoch.push(averagedAccuracy);
    return { accuracy, averagedAccuracy };
  }

  /** The result fields of the measurements. */
  resultFields(): {
    accuracy: number | null;
    accuracyPerEpoch: number[];
    averagedAccuracy: number | null;
    averagedAccuracyPerEpoch: number[];
    weightAverage: WeightAverageSettings | null;
  } {
    return {
      accuracy: this.accuracyPerEpoch.at(-1) ?? null,
      accuracyPerEpoch: this.accuracyPerEpoch,
      averagedAccuracy: this.averagedAccuracyPerEpoch.at(-1) ?? null,
      averagedAccuracyPerEpoch: this.averagedAccuracyPerEpoch,
      weightAverage: this.settings,
    };
  }

  /** Frees the average. */
  dispose(): void {
    this.#average?.dispose();
  }
}
