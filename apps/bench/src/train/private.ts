import type { ModeName } from '@cnm/optim';
import { PrivacyEngine } from '@cnm/tfjs';
import type { PrivateRowRunner, RowContext } from '../table';
import { EpochEvaluator } from './evaluation';
import { PeakMemory } from './memory';
import { yieldToEventLoop } from './non-private';
import { perExampleCrossEntropy } from './tensors';

/** The private-row trainer, or why there is none. */
export interface PrivateRunnerAvailability {
  /** Trains a private row through the PrivacyEngine; absent when the engine is not available. */
  readonly runner?: PrivateRowRunner;
  /** Why it is absent. */
  readonly reason: string;
}

/** The engine participation of a row (DP-SGD uses Poisson sampling, which is its mode's default). */
function participationOf(context: RowContext): { participation?: 'minSep' | 'streaming' } {
  switch (context.row.participation) {
    case 'minSep':
      return { participation: 'minSep' };
    case 'streaming':
      return { participation: 'streaming' };
    default:
      return {};
  }
}

/**
 * Trains a private row with `PrivacyEngine.makePrivateWithEpsilon` (noise calibrated so that the whole planned
 * run spends at most the target epsilon), one `step()` at a time, evaluating on the test set after every
 * epoch. The epsilon reported is the engine accountant's `getEpsilon(delta)` after the last step.
 */
export const privateRowRunner: PrivateRowRunner = async (context) => {
  const { row, model, train, test } = context;
  const engine = new PrivacyEngine({ secureMode: false });
  const common = {
    model,
    lossFn: perExampleCrossEntropy,
    data: { x: train.x, y: train.y },
    epochs: context.epochs,
    mode: row.mode as ModeName,
    batchSize: context.batchSize,
    maxGradNorm: context.clipNorm,
    learningRate: row.learningRate,
    seed: context.seed,
    ...(row.optimizer === 'adam' && context.adamVarianceFloor != null
      ? { varianceFloor: context.adamVarianceFloor }
      : {}),
    ...participationOf(context),
    ...(row.bands === undefined ? {} : { bands: row.bands }),
    ...(context.clippedGradients === undefined ? {} : { clippedGradients: context.clippedGradients }),
  };
  // A control row keeps its fixed noise multiplier; every other row is calibrated to the target ε.
  const trainer =
    row.noiseMultiplier === undefined
      ? engine.makePrivateWithEpsilon({
          ...common,
          targetEpsilon: context.targetEpsilon,
          targetDelta: context.delta,
        })
      : engine.makePrivate({ ...common, noiseMultiplier: row.noiseMultiplier });
  const report = trainer.report;
  const perEpoch = report.run.stepsPerEpoch;
  const totalSteps = trainer.totalSteps;
  const memory = new PeakMemory();
  const evaluator = new EpochEvaluator(model, test, context.weightAverage);
  let trainMs = 0;
  try {
    for (let step = 1; step <= totalSteps; step += 1) {
      const start = performance.now();
      const loss = context.clippedGradients === undefined ? trainer.step() : await trainer.stepAsync();
      trainMs += performance.now() - start;
      evaluator.afterStep();
      memory.sample();
      context.onStep?.(step, totalSteps, loss);
      await yieldToEventLoop();
      if (step % perEpoch === 0 || step === totalSteps) {
        // Evaluated outside the optional call: `f?.(g())` skips g() when f is absent.
        const { accuracy } = evaluator.evaluate();
        context.onEpoch?.(evaluator.accuracyPerEpoch.length, accuracy);
      }
    }
  } finally {
    evaluator.dispose();
  }
  const floorNote =
    row.optimizer === 'adam' && context.adamVarianceFloor != null
      ? `DP-AdamBC second-moment floor ${context.adamVarianceFloor} (engine default 1e-8)`
      : undefined;
  const controlNote =
    row.noiseMultiplier === undefined
      ? undefined
      : `control: fixed noise multiplier ${row.noiseMultiplier}, not calibrated to ε`;
  const note = [row.deviation, floorNote, controlNote].filter((n) => n != null).join('; ');
  return {
    status: 'ok',
    ...(note === '' ? {} : { note }),
    epochs: context.epochs,
    steps: totalSteps,
    batchSize: report.run.batchSize,
    clipNorm: report.clipNorm,
    epsilon: trainer.getEpsilon(context.delta),
    targetEpsilon: row.noiseMultiplier === undefined ? context.targetEpsilon : null,
    delta: context.delta,
    ...evaluator.resultFields(),
    noiseMultiplier: report.noiseMultiplier,
    sensitivity: report.sensitivity,
    strategy: {
      name: report.strategy,
      accounting: report.accounting,
      participation: report.participation,
      noiseSensitivity: report.noiseSensitivity,
      ...(report.blt == null ? {} : { blt: report.blt }),
      ...(report.bandmf == null ? {} : { bandmf: report.bandmf }),
    },
    samplesPerSecond: (totalSteps * report.run.batchSize) / (trainMs / 1000),
    stepTimeMs: trainMs / totalSteps,
    stepTimeRatioToNonPrivate: null,
    peakMemoryMiB: memory.peakMiB,
    trainSeconds: trainMs / 1000,
  };
};

/** The private-row trainer of this build. */
export function loadPrivateRunner(): PrivateRunnerAvailability {
  return { runner: privateRowRunner, reason: '' };
}
