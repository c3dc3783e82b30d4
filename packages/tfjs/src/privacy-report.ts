/** The privacy report of a run: what it is and how it is accounted, as `makePrivate` and the trainer report it. */
import type { ModeMechanism } from '@cnm/optim';
import type { AccountingLabel, NoiseSplit, RunAccounting } from './accounting';
import type { AdaptiveClipNorm } from './clipping';
import type { EngineConfig } from './engine-config';
import type { RunShape } from './run-plan';

/** The fitted BLT of a run. */
export interface BltReport {
  /** Number of buffers d. */
  readonly bufferCount: number;
  /** Buffer decays. */
  readonly decays: number[];
  /** Output scales. */
  readonly outputScales: number[];
  /** Loss of the fit (sensitivity times the root of the error). */
  readonly loss: number;
}

/** The banded strategy of an amplified banded MF run. */
export interface BandMfReport {
  /** Number of bands b (= groups of the cyclic Poisson sampler). */
  readonly bands: number;
  /** The band c_0..c_{b-1} of C (unit norm). */
  readonly coefficients: number[];
  /** Inclusion probability p = batchSize · b / N within the active group. */
  readonly sampleRate: number;
  /** σ · RMSE of the prefix-sum noise (per unit of clip norm): the expected noise error the choice of b minimises. */
  readonly noiseRmse: number;
  /** RMSE of the prefix sums of the noise for unit σ (the fit's loss). */
  readonly loss: number;
}

/** The shape of a run as the accounting sees it. */
export interface RunReport {
  /** Examples in the training set. */
  readonly datasetSize: number;
  /** Batch size (expected batch size under Poisson sampling). */
  readonly batchSize: number;
  /** Steps per epoch. */
  readonly stepsPerEpoch: number;
  /** Epochs covered. */
  readonly epochs: number;
  /** All steps, `stepsPerEpoch * epochs`. */
  readonly totalSteps: number;
}

/** A privacy budget. */
export interface PrivacyTarget {
  /** Target epsilon. */
  readonly epsilon: number;
  /** Delta at which epsilon is measured. */
  readonly delta: number;
}

/** Adaptive clipping as a run uses it (see {@link PrivacyReport.adaptiveClipping}). */
export interface AdaptiveClippingReport {
  /** Threshold of the first step (`maxGradNorm`). */
  readonly initialThreshold: number;
  /** Target unclipped fraction γ. */
  readonly targetUnclippedQuantile: number;
  /** Geometric learning rate η. */
  readonly learningRate: number;
  /** Standard deviation σ_b of the count noise. */
  readonly countNoiseStddev: number;
  /** Noise multiplier of the count, `2σ_b`. */
  readonly countNoiseMultiplier: number;
  /** Lower bound of the threshold. */
  readonly minThreshold: number;
  /** Upper bound of the threshold. */
  readonly maxThreshold: number;
}

/** What a private run is: the numbers reported by `makePrivate` / `makePrivateWithEpsilon`. */
export interface PrivacyReport {
  /** Training mode. */
  readonly mode: string;
  /**
   * Participation of the correlated modes (`'poisson'` for DP-SGD-AMPLIFIED, `'cyclic-poisson'` for the amplified
   * banded MF modes).
   */
  readonly participation: string;
  /** Accounting: Poisson-subsampled Gaussian steps (PLD/RDP) or one Gaussian mechanism for the run. */
  readonly accounting: AccountingLabel;
  /**
   * Noise multiplier sigma. With adaptive clipping it is the total: the run costs what the same run with flat
   * clipping and this sigma costs, shared between the gradients ({@link PrivacyReport.gradientNoiseMultiplier})
   * and the unclipped counts.
   */
  readonly noiseMultiplier: number;
  /** Noise multiplier of the gradient sums: `noiseMultiplier`, or the larger one adaptive clipping needs. */
  readonly gradientNoiseMultiplier: number;
  /** sens(C) under the real participation over the whole run (clip norm 1). */
  readonly sensitivity: number;
  /** Sensitivity used by the noise (1 for the DP-SGD modes). */
  readonly noiseSensitivity: number;
  /** Name of the strategy C. */
  readonly strategy: string;
  /** BLT buffers, decays and output scales, for the BLT modes. */
  readonly blt?: BltReport;
  /** The banded strategy, for the amplified banded MF modes. */
  readonly bandmf?: BandMfReport;
  /**
   * L2 sensitivity of one example's clipped gradient (maxGradNorm, or the root of the per-layer squares); the
   * initial threshold with adaptive clipping.
   */
  readonly clipNorm: number;
  /** The settings of adaptive clipping, when it is used. */
  readonly adaptiveClipping?: AdaptiveClippingReport;
  /** Examples, batch size, steps per epoch, epochs and total steps. */
  readonly run: RunReport;
  /** Target epsilon and delta (the budget), when one is set. */
  readonly target?: PrivacyTarget;
  /** Epsilon of the whole planned run at the target delta, when one is set. */
  readonly plannedEpsilon?: number;
  /** Steps the budget allows (the whole run when it fits). */
  readonly stepsWithinBudget: number;
  /**
   * What a batch with non-finite examples does: `'error'` refuses it, `'skip'` leaves those examples out of the
   * clipped sum (their count: {@link PrivateTrainer.skippedExamples}; not covered by epsilon).
   */
  readonly nonFinite: 'error' | 'skip';
  /**
   * Whether the training loss is computed and reported. It is computed from the private batches without noise:
   * epsilon does not cover it.
   */
  readonly reportTrainingLoss: boolean;
}

/** What {@link privacyReport} reads. */
export interface PrivacyReportParts {
  /** The validated options. */
  readonly config: EngineConfig;
  /** The run shape. */
  readonly shape: RunShape;
  /** The mode's mechanism. */
  readonly mechanism: ModeMechanism;
  /** The run's accounting. */
  readonly accounting: RunAccounting;
  /** The noise multipliers (total and gradients'). */
  readonly noise: NoiseSplit;
  /** L2 sensitivity of one example's clipped gradient. */
  readonly clipNorm: number;
  /** The adaptive clipping state, with `clipping: 'adaptive'`. */
  readonly adaptive: AdaptiveClipNorm | undefined;
  /** The budget, when one is set. */
  readonly target?: PrivacyTarget;
  /** Epsilon of the planned run at the target delta, when a budget is set. */
  readonly plannedEpsilon?: number;
  /** Steps the budget allows. */
  readonly stepsWithinBudget: number;
}

/** The report of a run from its parts. */
export function privacyReport(parts: PrivacyReportParts): PrivacyReport {
  const { config, shape, mechanism, accounting, noise, clipNorm, adaptive, stepsWithinBudget } = parts;
  const fit = mechanism.fit;
  const bandFit = mechanism.bandFit;
  const { noiseMultiplier, gradientNoiseMultiplier } = noise;
  const { target, plannedEpsilon } = parts;
  return {
    mode: config.mode,
    participation:
      bandFit !== undefined ? 'cyclic-poisson' : config.poissonSampling ? 'poisson' : config.participation,
    accounting: accounting.label,
    noiseMultiplier,
    gradientNoiseMultiplier,
    sensitivity: mechanism.sensitivity,
    noiseSensitivity: mechanism.noiseSensitivity,
    strategy: mechanism.strategy.name,
    ...(fit === undefined
      ? {}
      : {
          blt: {
            bufferCount: fit.bufferCount,
            decays: Array.from(fit.blt.toJSON().decays),
            outputScales: Array.from(fit.blt.toJSON().outputScales),
            loss: fit.loss,
          },
        }),
    ...(bandFit === undefined
      ? {}
      : {
          bandmf: {
            bands: bandFit.bands,
            coefficients: Array.from(bandFit.coefficients),
            sampleRate: shape.sampleRate as number,
            noiseRmse: gradientNoiseMultiplier * bandFit.loss,
            loss: bandFit.loss,
          },
        }),
    clipNorm,
    ...(adaptive === undefined
      ? {}
      : {
          adaptiveClipping: {
            initialThreshold: clipNorm,
            targetUnclippedQuantile: adaptive.targetUnclippedQuantile,
            learningRate: adaptive.learningRate,
            countNoiseStddev: adaptive.countNoiseStddev,
            countNoiseMultiplier: adaptive.countNoiseMultiplier,
            minThreshold: adaptive.minThreshold,
            maxThreshold: adaptive.maxThreshold,
          },
        }),
    run: {
      datasetSize: shape.datasetSize,
      batchSize: shape.batchSize,
      stepsPerEpoch: shape.stepsPerEpoch,
      epochs: shape.epochs,
      totalSteps: shape.totalSteps,
    },
    ...(target === undefined ? {} : { target }),
    ...(plannedEpsilon === undefined ? {} : { plannedEpsilon }),
    stepsWithinBudget,
    nonFinite: config.nonFinite,
    reportTrainingLoss: config.reportTrainingLoss,
  };
}
