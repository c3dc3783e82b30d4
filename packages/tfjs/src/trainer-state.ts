/**
 * The exact state of a private run for checkpoints: what it holds, the fingerprint of the run's settings a
 * checkpoint must match, and the export and the checked restore of every part (weights, optimizer, sampler,
 * accountant history, adaptive clipping, weight average, data fingerprint).
 */
import type { AccountantState } from '@cnm/accountant';
import type {
  DpAdamBc,
  DpAdamBcState,
  DpSgd,
  DpSgdState,
  DpTfjsOptimizer,
  DpTfjsOptimizerState,
} from '@cnm/optim';
import type { BatchSampler, BatchSamplerState } from '@cnm/sampler';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { RunAccounting } from './accounting';
import type { AdaptiveClipNormState, ClippingOptions } from './clipping';
import { checkDataFingerprint, type DataFingerprint } from './data-fingerprint';
import type { EngineConfig } from './engine-config';
import type { AnyLayer } from './per-example/types';
import type { PrivacyReport } from './privacy-report';
import type { ExponentialWeightAverage, ExponentialWeightAverageState } from './weight-average';

/** One model weight in a {@link TrainerState}. */
export interface SavedWeight {
  /** The weight's name when saved (informative: fresh models get new names). */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its values. */
  readonly values: Float32Array;
}

/** The accountant's history in a {@link TrainerState}. */
export interface SavedAccountant {
  /** The composed events, as `@cnm/accountant` serialises an accountant (`fromJSON` rebuilds it). */
  readonly state: AccountantState;
  /** The accounting used. */
  readonly accounting: string;
  /** Steps composed. */
  readonly steps: number;
  /**
   * The gradient noise multiplier ({@link PrivacyReport.gradientNoiseMultiplier}; named `noiseMultiplier` in the
   * checkpoint format).
   */
  readonly noiseMultiplier: number;
  /** Sensitivity of the strategy under the real participation. */
  readonly sensitivity: number;
}

/** Plain, exact state of a trainer (see {@link encodeCheckpoint} for its file form). Keep it secret. */
export interface TrainerState {
  /** The configuration it belongs to (checked on restore). */
  readonly fingerprint: Readonly<Record<string, unknown>>;
  /** Steps taken. */
  readonly step: number;
  /** Every weight of the model (trainable or not), in `model.weights` order. */
  readonly weights: readonly SavedWeight[];
  /** The optimizer's state: moments, noise buffers and noise generator. */
  readonly optimizer: DpSgdState | DpAdamBcState | DpTfjsOptimizerState;
  /** The sampler's position and generator. */
  readonly sampler: BatchSamplerState;
  /** Accountant history: what was composed so far. */
  readonly accountant: SavedAccountant;
  /** Adaptive clipping only: the current threshold and the count-noise generator. */
  readonly adaptiveClipping?: AdaptiveClipNormState;
  /** The weight average, when the run keeps one (`weightAverage` option). */
  readonly weightAverage?: ExponentialWeightAverageState;
  /**
   * The training data the run is bound to (see {@link DataFingerprint}); absent before the run has seen data.
   * A checkpoint without it (written before fingerprints existed) binds the run to the first data given after
   * the restore, since what it was trained on can no longer be told.
   */
  readonly dataFingerprint?: DataFingerprint;
  /** With `nonFinite: 'skip'`: examples left out as non-finite so far. */
  readonly skippedExamples?: number;
}

/**
 * The settings a checkpoint must match: the run's mode, accounting, noise, strategy, clipping, update rule and
 * variable shapes.
 */
export function runFingerprint(
  config: EngineConfig,
  report: PrivacyReport,
  clipping: ClippingOptions,
  variables: readonly tf.Variable[],
): Readonly<Record<string, unknown>> {
  const { noiseMultiplier, gradientNoiseMultiplier } = report;
  const adaptive = report.adaptiveClipping;
  return {
    format: 'cnm-private-run',
    mode: report.mode,
    participation: report.participation,
    accounting: report.accounting,
    run: report.run,
    noiseMultiplier,
    // Only with adaptive clipping (without it, it equals noiseMultiplier): older checkpoints stay readable.
    ...(adaptive === undefined ? {} : { gradientNoiseMultiplier }),
    sensitivity: report.sensitivity,
    noiseSensitivity: report.noiseSensitivity,
    strategy: report.strategy,
    blt:
      report.blt === undefined ? null : { decays: report.blt.decays, outputScales: report.blt.outputScales },
    // Only for the banded modes: checkpoints of the other modes stay readable.
    ...(report.bandmf === undefined
      ? {}
      : { bandmf: { bands: report.bandmf.bands, coefficients: report.bandmf.coefficients } }),
    // The adaptive state moves during the run: the fingerprint holds its fixed settings.
    clipping:
      report.adaptiveClipping === undefined ? clipping : { mode: 'adaptive', ...report.adaptiveClipping },
    lossReduction: config.lossReduction,
    learningRate: config.learningRate,
    momentum: config.momentum,
    beta1: config.beta1,
    beta2: config.beta2,
    varianceFloor: config.varianceFloor,
    // Only with an average: checkpoints of runs without one stay readable.
    ...(config.weightAverage === undefined ? {} : { weightAverage: config.weightAverage }),
    // Only when used: checkpoints of runs without them stay readable.
    ...(config.weightDecay === 0 ? {} : { weightDecay: config.weightDecay }),
    ...(config.optimizer === undefined ? {} : { optimizer: `tfjs ${config.optimizer.getClassName()}` }),
    secureMode: config.secureMode,
    variableShapes: variables.map((v) => [...v.shape]),
  };
}

/** What a trainer's state is made of (see {@link exportTrainerState}). */
export interface TrainerStateParts {
  /** The model trained. */
  readonly model: AnyLayer;
  /** The private optimizer. */
  readonly optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer;
  /** The batch sampler. */
  readonly sampler: BatchSampler;
  /** The run's accounting. */
  readonly accounting: RunAccounting;
  /** The run's report. */
  readonly report: PrivacyReport;
  /** The run's clipping (its adaptive state is part of the state). */
  readonly clipping: ClippingOptions;
  /** The weight average, when the run keeps one. */
  readonly average: ExponentialWeightAverage | undefined;
  /** The run's fingerprint ({@link runFingerprint}). */
  readonly fingerprint: Readonly<Record<string, unknown>>;
  /** Whether non-finite examples are skipped (and counted). */
  readonly skipsNonFinite: boolean;
}

/** Where a run stands: what the state holds besides its parts. */
export interface TrainerProgress {
  /** Steps taken. */
  readonly steps: number;
  /** The fingerprint of the data the run is bound to, if any. */
  readonly dataFingerprint: DataFingerprint | undefined;
  /** Examples skipped as non-finite so far. */
  readonly skippedExamples: number;
}

/** Every weight of a model (trainable or not). */
function modelWeights(model: AnyLayer): LayerVariable[] {
  return (model as unknown as { weights: LayerVariable[] }).weights;
}

/** Exact copy of a run's whole state. */
export function exportTrainerState(parts: TrainerStateParts, progress: TrainerProgress): TrainerState {
  const gradientNoiseMultiplier = parts.report.gradientNoiseMultiplier;
  const { clipping, average } = parts;
  return {
    fingerprint: parts.fingerprint,
    step: progress.steps,
    weights: modelWeights(parts.model).map((w) => ({
      name: w.name,
      shape: w.shape.map((d) => d ?? 0),
      values: new Float32Array(w.read().dataSync() as Float32Array),
    })),
    optimizer: parts.optimizer.exportState(),
    sampler: parts.sampler.exportState(),
    accountant: {
      state: parts.accounting.historyAfter(progress.steps, gradientNoiseMultiplier),
      accounting: parts.report.accounting,
      steps: progress.steps,
      noiseMultiplier: gradientNoiseMultiplier,
      sensitivity: parts.report.sensitivity,
    },
    ...(clipping.mode === 'adaptive' ? { adaptiveClipping: clipping.state.exportState() } : {}),
    ...(average === undefined ? {} : { weightAverage: average.exportState() }),
    ...(progress.dataFingerprint === undefined ? {} : { dataFingerprint: progress.dataFingerprint }),
    ...(parts.skipsNonFinite ? { skippedExamples: progress.skippedExamples } : {}),
  };
}

/**
 * Restores a state exported by a run of the same configuration into its parts; everything is checked before
 * anything changes, and a mismatch is refused with the first differing setting. Returns where the run stands.
 */
export function restoreTrainerState(parts: TrainerStateParts, state: TrainerState): TrainerProgress {
  const totalSteps = parts.accounting.shape.totalSteps;
  if (state === null || typeof state !== 'object' || typeof state.fingerprint !== 'object') {
    throw new TypeError('state must be a TrainerState (from exportState or decodeCheckpoint)');
  }
  for (const [key, value] of Object.entries(parts.fingerprint)) {
    const saved = JSON.stringify(state.fingerprint[key]);
    if (saved !== JSON.stringify(value)) {
      throw new RangeError(
        `checkpoint does not match this run: ${key} is ${saved}, this run has ${JSON.stringify(value)}`,
      );
    }
  }
  if (!Number.isInteger(state.step) || state.step < 0 || state.step > totalSteps) {
    throw new RangeError(
      `checkpoint step must be an integer in [0, ${totalSteps}], got ${String(state.step)}`,
    );
  }
  if (
    state.accountant?.steps !== state.step ||
    state.optimizer?.step !== state.step ||
    state.sampler?.step !== state.step
  ) {
    throw new RangeError(
      'checkpoint is inconsistent: accountant, optimizer and sampler steps differ from its step',
    );
  }
  const history = JSON.stringify(
    parts.accounting.historyAfter(state.step, parts.report.gradientNoiseMultiplier),
  );
  if (JSON.stringify(state.accountant.state) !== history) {
    throw new RangeError(
      `checkpoint is inconsistent: its accountant history is not that of ${state.step} steps of this run`,
    );
  }
  const weights = modelWeights(parts.model);
  if (!Array.isArray(state.weights) || state.weights.length !== weights.length) {
    throw new RangeError(
      `checkpoint must hold ${weights.length} model weights, got ${String(state.weights?.length)}`,
    );
  }
  weights.forEach((w, i) => {
    const saved = state.weights[i];
    if (
      saved === undefined ||
      saved.shape.join(',') !== w.shape.join(',') ||
      !(saved.values instanceof Float32Array) ||
      saved.values.length !== tf.util.sizeFromShape(w.shape.map((d) => d ?? 0))
    ) {
      throw new RangeError(`checkpoint weight ${i} must have shape [${w.shape.join(', ')}] ('${w.name}')`);
    }
  });
  const dataFingerprint =
    state.dataFingerprint === undefined
      ? undefined
      : checkDataFingerprint(state.dataFingerprint, 'checkpoint dataFingerprint');
  if (dataFingerprint !== undefined && dataFingerprint.examples !== parts.report.run.datasetSize) {
    throw new RangeError(
      `checkpoint is inconsistent: its data fingerprint covers ${dataFingerprint.examples} examples, this run ${parts.report.run.datasetSize}`,
    );
  }
  const skipped = state.skippedExamples ?? 0;
  if (!Number.isSafeInteger(skipped) || skipped < 0) {
    throw new RangeError(
      `checkpoint skippedExamples must be an integer >= 0, got ${String(state.skippedExamples)}`,
    );
  }
  const adaptive = parts.clipping.mode === 'adaptive' ? parts.clipping.state : undefined;
  checkOptionalPart(adaptive !== undefined, state.adaptiveClipping, state.step, {
    unexpected: 'checkpoint holds an adaptive clipping state, this run has none',
    missing: 'checkpoint must hold the adaptive clipping state (threshold and count-noise generator)',
    inconsistent: 'checkpoint is inconsistent: the adaptive clipping updates differ from its step',
  });
  const average = parts.average;
  checkOptionalPart(average !== undefined, state.weightAverage, state.step, {
    unexpected: 'checkpoint holds a weight average, this run keeps none (weightAverage option)',
    missing: 'checkpoint must hold the weight average of this run (weightAverage option)',
    inconsistent: 'checkpoint is inconsistent: the weight average updates differ from its step',
  });
  // Optimizer, sampler and adaptive clipping check their own states before changing anything; the sampler is
  // the cheaper to fail, so it goes first, then the adaptive clipping, then the optimizer, then the weights.
  const samplerBefore = parts.sampler.exportState();
  const adaptiveBefore = adaptive?.exportState();
  const averageBefore = average?.exportState();
  parts.sampler.restoreState(state.sampler);
  try {
    if (adaptive !== undefined) adaptive.restoreState(state.adaptiveClipping as AdaptiveClipNormState);
    if (average !== undefined) average.restoreState(state.weightAverage as ExponentialWeightAverageState);
    (parts.optimizer as DpSgd).restoreState(state.optimizer as DpSgdState);
  } catch (error) {
    parts.sampler.restoreState(samplerBefore);
    if (adaptive !== undefined) adaptive.restoreState(adaptiveBefore as AdaptiveClipNormState);
    if (average !== undefined) average.restoreState(averageBefore as ExponentialWeightAverageState);
    throw error;
  }
  weights.forEach((w, i) => {
    const saved = state.weights[i] as SavedWeight;
    const value = tf.tensor(saved.values, [...saved.shape], 'float32');
    w.write(value);
    value.dispose();
  });
  return { steps: state.step, dataFingerprint, skippedExamples: skipped };
}

/**
 * Checks an optional part of a checkpoint (adaptive clipping, weight average): present exactly when the run keeps
 * one, and updated once per step of the checkpoint.
 */
function checkOptionalPart(
  kept: boolean,
  saved: { readonly updates: number } | undefined,
  step: number,
  messages: { readonly unexpected: string; readonly missing: string; readonly inconsistent: string },
): void {
  if (kept !== (saved !== undefined)) throw new RangeError(kept ? messages.missing : messages.unexpected);
  if (kept && saved?.updates !== step) throw new RangeError(messages.inconsistent);
}
