/**
 * The one-run privacy audit of a private training run (Steinke, Nasr & Jagielski, "Privacy Auditing with One (1)
 * Training Run", NeurIPS 2023): plant m canaries, include each with probability 1/2, train once, score them,
 * guess, and turn the right guesses into a lower bound on epsilon.
 */
import type { DpAdamBc, DpSgd, DpTfjsOptimizer } from '@cnm/optim';
import * as tf from '@tensorflow/tfjs-core';
import type { PerExampleLossFn } from '../compute-clipped-gradients';
import type { MakePrivateOptions, MakePrivateWithEpsilonOptions } from '../engine-options';
import { resolveLossOption } from '../losses';
import { PrivacyEngine } from '../privacy-engine';
import type { EngineData } from '../training-data';
import { type AuditPrivacyOptions, type CanaryKind, resolveAuditOptions } from './audit-options';
import { canaryPatterns } from './canary-participation';
import { canaryCoordinates, GradientCanaryRecorder } from './gradient-canaries';
import { inputCanaryHook, inputCanaryScores, makeInputCanaries } from './input-canaries';
import { matchedFilterScores } from './matched-filter';
import { faultyNoise, type MechanismFault } from './mechanism-faults';
import { bestOneRunGuesses, type ScoreHistogram, scoreHistogram } from './one-run-guesses';
import { installStepHook } from './step-hook';

/** What {@link auditPrivacy} found. */
export interface AuditResult {
  /**
   * Lower bound on the run's epsilon at `delta`, holding with probability at least `confidence`. Above
   * `claimedEpsilon` it shows the claim is wrong; at or below it, it shows nothing either way.
   */
  readonly epsilonLowerBound: number;
  /** The epsilon the run's accounting claims at `delta` for the whole run. */
  readonly claimedEpsilon: number;
  /** The delta of both. */
  readonly delta: number;
  /** Confidence of the lower bound. */
  readonly confidence: number;
  /** The mode audited. */
  readonly mode: string;
  /** The kind of canaries planted. */
  readonly canaryKind: CanaryKind;
  /** Canaries planted (m). */
  readonly canaries: number;
  /** Canaries included in training (about half). */
  readonly includedCanaries: number;
  /** Guesses made (r: the top and bottom scores; the audit abstains on the rest). */
  readonly guesses: number;
  /** Correct guesses (v). */
  readonly correct: number;
  /** Steps of the audited run (its real examples plus the canaries). */
  readonly steps: number;
  /**
   * The scoring that gave the bound: `'matched-filter'` (the released sums whitened with the mode's C),
   * `'independent-noise'` (the same filter as if the noise were i.i.d., tried as well when C is not the identity),
   * or `'loss'` (input canaries).
   */
  readonly scoring: 'matched-filter' | 'independent-noise' | 'loss';
  /** The canaries' scores (of that scoring) by inclusion: how far apart the two groups are. */
  readonly scoreHistogram: ScoreHistogram;
}

/** What only the audit's own tests set: a broken mechanism, and canary gradients larger than the clipping norm. */
export interface AuditInternals {
  /** The broken mechanism to run (never a public option). */
  readonly fault?: MechanismFault;
  /** Norm of a gradient canary before clipping, `> 0` (default: the clipping norm). */
  readonly canaryGradientNorm?: number;
}

/**
 * Audits the privacy claim of a private training run empirically, by the one-run method of Steinke, Nasr &
 * Jagielski (NeurIPS 2023): it plants `canaries` canaries, includes each with probability 1/2 (a secret), trains
 * once with the engine's options, scores the canaries, guesses "included" for the highest scores and "excluded"
 * for the lowest, and turns the number of right guesses into a lower bound on epsilon (`oneRunEpsilonLowerBound`
 * of `@cnm/accountant`, the best of a few guess counts with the confidence split among them).
 *
 * The canaries are extra examples of the sampler's data, so they take part exactly as the mode's sampler makes an
 * example take part (fixed batches, Poisson or cyclic Poisson sampling), and the run is accounted for them too.
 * Gradient canaries (default) are one parameter coordinate each, of norm `maxGradNorm`, scored from every
 * released noisy gradient sum with a matched filter that undoes the mode's noise correlation; input canaries are
 * out-of-distribution inputs with random labels, scored by the final model's loss.
 *
 * The result is a lower bound: above the claimed epsilon it proves the claim wrong (false alarm probability at
 * most `1 − confidence`); below it, it is no proof of privacy.
 *
 * @example
 * ```ts
 * const result = await auditPrivacy({
 *   model: () => makeModel(), data: { x, y }, loss: 'categoricalCrossentropy',
 *   mode: 'BLT', epochs: 2, batchSize: 32, maxGradNorm: 1, targetEpsilon: 2, targetDelta: 1e-5,
 *   canaries: 200, seed: 1,
 * });
 * result.epsilonLowerBound <= result.claimedEpsilon; // true for a correct mechanism (at 95%)
 * ```
 */
export async function auditPrivacy(options: AuditPrivacyOptions): Promise<AuditResult> {
  return runAudit(options, {});
}

/** {@link auditPrivacy} with the settings only the audit's tests use. */
export async function runAudit(
  options: AuditPrivacyOptions,
  internals: AuditInternals,
): Promise<AuditResult> {
  const audit = resolveAuditOptions(options);
  const { dataSize, canaries: m, random } = audit;
  const included = Uint8Array.from({ length: m }, () => random.nextUint32() & 1);
  const inputCanaries =
    audit.canaryKind === 'input' ? makeInputCanaries(audit.data, dataSize, m, random) : undefined;
  const data = withCanarySlots(audit.data, m, inputCanaries);
  const model = audit.model();
  const engine = new PrivacyEngine();
  const settings = { ...audit.engine, model, data };
  try {
    const trainer = audit.withEpsilon
      ? engine.makePrivateWithEpsilon(settings as unknown as MakePrivateWithEpsilonOptions)
      : engine.makePrivate(settings as unknown as MakePrivateOptions);
    const optimizer = trainer.optimizer as DpSgd | DpAdamBc | DpTfjsOptimizer;
    const steps = trainer.totalSteps;
    const recorder =
      inputCanaries === undefined
        ? new GradientCanaryRecorder(optimizer, {
            dataSize,
            coordinates: canaryCoordinates(optimizer.parameterCount, m, random),
            included,
            gradientNorm: internals.canaryGradientNorm ?? trainer.report.clipNorm,
            clipNorm: trainer.report.clipNorm,
            steps,
            clip: internals.fault !== 'no-clipping',
            ...faultOption(internals.fault, trainer.report, optimizer, steps, random.nextUint32()),
          })
        : undefined;
    installStepHook(optimizer, recorder ?? inputCanaryHook(dataSize, included));
    for (let t = 0; t < steps; t++) trainer.step();
    const claimedEpsilon = trainer.getEpsilon(audit.delta);
    const scorings =
      recorder === undefined
        ? [inputCanaryScores(model, lossOf(audit.engine), inputCanaries as EngineData)]
        : gradientScorings(recorder, {
            coefficients: optimizer.noise.strategy.coefficients(steps),
            patterns: canaryPatterns({
              sampler: trainer.sampler,
              firstSlot: dataSize,
              canaries: m,
              steps,
              batches: recorder.batches,
            }),
            // What the auditor expects of a canary: clipped to the clipping norm.
            canaryNorm: Math.min(recorder.contributionNorm, trainer.report.clipNorm),
          });
    const best = bestOneRunGuesses(scorings, included, { delta: audit.delta, confidence: audit.confidence });
    const scores = scorings[best.scoring] as Float64Array;
    return {
      epsilonLowerBound: best.epsilonLowerBound,
      claimedEpsilon,
      delta: audit.delta,
      confidence: audit.confidence,
      mode: trainer.report.mode,
      canaryKind: audit.canaryKind,
      canaries: m,
      includedCanaries: included.reduce((a, b) => a + b, 0),
      guesses: best.guesses,
      correct: best.correct,
      steps,
      scoring: recorder === undefined ? 'loss' : best.scoring === 0 ? 'matched-filter' : 'independent-noise',
      scoreHistogram: scoreHistogram(scores, included),
    };
  } finally {
    tf.dispose([data.x, data.y] as tf.Tensor[]);
    if (inputCanaries !== undefined) tf.dispose([inputCanaries.x, inputCanaries.y] as tf.Tensor[]);
    (model as { dispose?: () => unknown }).dispose?.();
  }
}

/**
 * The gradient canaries' scorings: the matched filter for the mode's noise correlation C and, when C is not the
 * identity, the one for i.i.d. noise, which catches noise that is not correlated as claimed.
 */
function gradientScorings(
  recorder: GradientCanaryRecorder,
  input: Omit<Parameters<typeof matchedFilterScores>[0], 'released'>,
): Float64Array[] {
  const released = recorder.released;
  const scorings = [matchedFilterScores({ ...input, released })];
  if (input.coefficients.some((c, j) => j > 0 && c !== 0)) {
    const identity = new Float64Array(input.coefficients.length);
    identity[0] = 1;
    scorings.push(matchedFilterScores({ ...input, coefficients: identity, released }));
  }
  return scorings;
}

/** The data with m canary slots after the real examples: the input canaries, or copies of example 0 as place holders. */
function withCanarySlots(data: EngineData, m: number, canaries: EngineData | undefined): EngineData {
  return tf.tidy(() => {
    const first = tf.zeros([m], 'int32');
    const extend = (real: tf.Tensor, extra: tf.Tensor | undefined) =>
      tf.concat([real, extra ?? tf.gather(real, first)], 0);
    const x = Array.isArray(data.x)
      ? data.x.map((input) => extend(input, undefined))
      : extend(data.x, canaries?.x as tf.Tensor | undefined);
    return { x, y: extend(data.y, canaries?.y) } as unknown as tf.TensorContainerObject;
  }) as unknown as EngineData;
}

/** The per-example loss of the engine's options. */
function lossOf(engine: Record<string, unknown>): PerExampleLossFn {
  return resolveLossOption(engine.loss, engine.lossFn);
}

/** The noise fault of a broken-mechanism test, as recorder options. */
function faultOption(
  fault: MechanismFault | undefined,
  report: Parameters<typeof faultyNoise>[1],
  optimizer: DpSgd | DpAdamBc | DpTfjsOptimizer,
  steps: number,
  seed: number,
): { noiseFault?: (noise: Float64Array) => void } {
  const noiseFault = faultyNoise(fault, report, optimizer.noise.strategy.coefficients(steps), seed);
  return noiseFault === undefined ? {} : { noiseFault };
}
