import type { PrivateRowRunner, RowContext } from '../table';
import { PeakMemory } from './memory';
import { yieldToEventLoop } from './non-private';
import { accuracyPercent, perExampleCrossEntropy } from './tensors';

/** The private-row trainer, or why there is none. */
export interface PrivateRunnerAvailability {
  /** Trains a private row through the PrivacyEngine; absent when the engine is not available. */
  readonly runner?: PrivateRowRunner;
  /** Why it is absent. */
  readonly reason: string;
}

/** What the bench needs of the engine's privacy report (issue 7's `PrivacyReport`). */
interface EngineReport {
  readonly noiseMultiplier: number;
  readonly sensitivity: number;
  readonly strategy: string;
  readonly accounting?: string;
  readonly participation?: string;
  readonly blt?: Readonly<Record<string, unknown>>;
  readonly run: { readonly stepsPerEpoch: number; readonly totalSteps: number; readonly batchSize: number };
}

/** What the bench needs of the engine's `PrivateTrainer`. */
interface EngineTrainer {
  readonly report: EngineReport;
  readonly totalSteps: number;
  step(): number;
  getEpsilon(delta?: number): number;
}

interface EngineLike {
  makePrivateWithEpsilon(options: Record<string, unknown>): EngineTrainer;
}

type EngineConstructor = new (options?: Record<string, unknown>) => EngineLike;

/** The engine participation name of a row (DP-SGD and non-private rows have none). */
function participationOf(context: RowContext): Record<string, unknown> {
  switch (context.row.participation) {
    case 'minSep':
      return { participation: 'minSep' };
    case 'streaming':
      return { participation: 'streaming' };
    default:
      return {};
  }
}

/** Trains a private row with `makePrivateWithEpsilon`, evaluating after every epoch. */
export function engineRunner(Engine: EngineConstructor): PrivateRowRunner {
  return async (context) => {
    const { row, model, train, test } = context;
    const engine = new Engine({ secureMode: false });
    const trainer = engine.makePrivateWithEpsilon({
      model,
      lossFn: perExampleCrossEntropy,
      data: { x: train.x, y: train.y },
      epochs: context.epochs,
      mode: row.mode,
      batchSize: context.batchSize,
      maxGradNorm: context.clipNorm,
      learningRate: row.learningRate,
      targetEpsilon: context.targetEpsilon,
      targetDelta: context.delta,
      seed: context.seed,
      ...participationOf(context),
    });
    const report = trainer.report;
    const perEpoch = report.run.stepsPerEpoch;
    const totalSteps = trainer.totalSteps;
    const memory = new PeakMemory();
    const accuracyPerEpoch: number[] = [];
    let trainMs = 0;
    for (let step = 1; step <= totalSteps; step += 1) {
      const start = performance.now();
      const loss = trainer.step();
      trainMs += performance.now() - start;
      memory.sample();
      context.onStep?.(step, totalSteps, loss);
      await yieldToEventLoop();
      if (step % perEpoch === 0 || step === totalSteps) {
        const accuracy = accuracyPercent(model, test);
        accuracyPerEpoch.push(accuracy);
        context.onEpoch?.(accuracyPerEpoch.length, accuracy);
      }
    }
    return {
      status: 'ok',
      ...(row.deviation == null ? {} : { note: row.deviation }),
      epochs: context.epochs,
      steps: totalSteps,
      batchSize: report.run.batchSize,
      clipNorm: context.clipNorm,
      epsilon: trainer.getEpsilon(context.delta),
      targetEpsilon: context.targetEpsilon,
      delta: context.delta,
      accuracy: accuracyPerEpoch.at(-1) ?? null,
      accuracyPerEpoch,
      noiseMultiplier: report.noiseMultiplier,
      sensitivity: report.sensitivity,
      strategy: {
        name: report.strategy,
        ...(report.accounting == null ? {} : { accounting: report.accounting }),
        ...(report.participation == null ? {} : { participation: report.participation }),
        ...(report.blt == null ? {} : { blt: report.blt }),
      },
      samplesPerSecond: (totalSteps * report.run.batchSize) / (trainMs / 1000),
      stepTimeMs: trainMs / totalSteps,
      stepTimeRatioToNonPrivate: null,
      peakMemoryMiB: memory.peakMiB,
      trainSeconds: trainMs / 1000,
    };
  };
}

/**
 * Finds the PrivacyEngine of @cnm/tfjs. It is written on another branch (issue 7): until it is exported,
 * private rows are reported as not run rather than trained by code that would duplicate it.
 */
export async function loadPrivateRunner(): Promise<PrivateRunnerAvailability> {
  const tfjs = (await import('@cnm/tfjs')) as Record<string, unknown>;
  const Engine = tfjs.PrivacyEngine;
  if (typeof Engine !== 'function') {
    return { reason: 'the PrivacyEngine of @cnm/tfjs (issue 7) is not in this build yet' };
  }
  return { runner: engineRunner(Engine as EngineConstructor), reason: '' };
}
