import { calibrateNoiseMultiplier, computeEpsilon } from '@cnm/accountant';
import { bltStrategy, fitBlt } from '@cnm/core';
import { CorrelatedNoise } from '@cnm/optim';
import { fillGaussian, SecureRandom, SeededRandom } from '@cnm/sampler';
import {
  PER_EXAMPLE_CHECK_EXAMPLES,
  selectBackend,
  type TrainingBackendName,
  verifyPerExampleGradients,
} from '@cnm/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { clippingStep } from '../clipping/cell';
import { CLIPPING_WORKLOADS } from '../clipping/workloads';
import { machineInfo } from '../machine';
import { deltaFor } from '../rows';

/** Options of the `micro` command. */
export interface MicroOptions {
  /** Batch size of the step timings. */
  readonly batchSize: number;
  /** Timed steps. */
  readonly steps: number;
  /** Preferred backend. */
  readonly backend: TrainingBackendName;
}

/** Milliseconds one call of `fn` takes, the median of `repeats` calls. */
export function medianMs(fn: () => unknown, repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function line(label: string, value: string): void {
  console.log(`${label.padEnd(58)} ${value}`);
}

/** Prints private vs non-private step time, accountant and BLT-fit timings, and noise throughput. */
export async function microCommand(options: MicroOptions): Promise<void> {
  const selection = await selectBackend({ preferred: options.backend });
  const machine = machineInfo(selection.backend);
  console.log(
    `micro-benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, backend ${selection.backend}, load ${machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')}`,
  );

  // Step time of the CNN: non-private vs per-example clipping (book-keeping) + Gaussian noise.
  const workload = CLIPPING_WORKLOADS.cnn;
  const model = workload.createModel();
  const parameterCount = model.countParams();
  const { x, y } = workload.batch(options.batchSize, 3);
  const noise = new CorrelatedNoise({
    strategy: bltStrategy(fitBlt({ steps: 128, bufferCount: 2, maxIterations: 200 }).blt),
    size: parameterCount,
    noiseMultiplier: 1,
    maxGradNorm: 1,
    sensitivity: 1,
    random: { seed: 1 },
  });
  clippingStep(workload, model, 'non-private', x, y);
  clippingStep(workload, model, 'bookkeeping', x, y);
  const nonPrivate = medianMs(() => clippingStep(workload, model, 'non-private', x, y), options.steps);
  const clipped = medianMs(() => clippingStep(workload, model, 'bookkeeping', x, y), options.steps);
  const noiseStep = medianMs(() => noise.next(), Math.max(options.steps, 5));
  // The engine's first-step self-check (verifyPerExample), once per run, on its first examples.
  const checked = tf.tidy(() => ({
    x: tf.slice(x, 0, PER_EXAMPLE_CHECK_EXAMPLES),
    y: tf.slice(y, 0, PER_EXAMPLE_CHECK_EXAMPLES),
  }));
  const selfCheck = medianMs(
    () =>
      verifyPerExampleGradients({
        model,
        lossFn: workload.lossFn,
        x: checked.x,
        y: checked.y,
        clipping: { mode: 'flat', maxGradNorm: 1 },
      }),
    Math.max(options.steps, 3),
  );
  tf.dispose([checked.x, checked.y]);
  // A row of the full profile: 50 epochs of ceil(60000 / batch) private steps.
  const rowSteps = 50 * Math.ceil(60_000 / options.batchSize);
  tf.dispose([x, y]);
  model.dispose();
  line(`CNN step, batch ${options.batchSize}, non-private`, `${nonPrivate.toFixed(1)} ms`);
  line(`CNN step, batch ${options.batchSize}, clipped (book-keeping)`, `${clipped.toFixed(1)} ms`);
  line(`BLT(2 buffers) correlated noise for ${parameterCount} parameters`, `${noiseStep.toFixed(2)} ms/step`);
  line(
    'private step / non-private step (clipping + noise)',
    `${((clipped + noiseStep) / nonPrivate).toFixed(2)}x`,
  );
  line(
    `first-step self-check, ${PER_EXAMPLE_CHECK_EXAMPLES} examples, once per run`,
    `${selfCheck.toFixed(1)} ms = ${((100 * selfCheck) / (rowSteps * (clipped + noiseStep))).toFixed(4)}% of a 50-epoch row (${rowSteps} steps)`,
  );

  // Accountants: DP-SGD at the full profile's schedule (50 epochs of 58 steps, q = 1024 / 60000).
  const delta = deltaFor(60_000);
  const dpSgd = { sampleRate: 1024 / 60_000, steps: 50 * 58, delta };
  for (const accountant of ['rdp', 'pld'] as const) {
    let epsilon = 0;
    const ms = medianMs(() => {
      epsilon = computeEpsilon({ ...dpSgd, noiseMultiplier: 1, accountant });
    }, 3);
    line(
      `computeEpsilon ${accountant}, sigma 1, 2900 steps`,
      `${ms.toFixed(1)} ms (epsilon ${epsilon.toFixed(3)})`,
    );
  }
  for (const accountant of ['rdp', 'pld'] as const) {
    let sigma = 0;
    const ms = medianMs(() => {
      sigma = calibrateNoiseMultiplier({
        targetEpsilon: 8,
        targetDelta: delta,
        sampleRate: dpSgd.sampleRate,
        steps: dpSgd.steps,
        accountant,
      });
    }, 1);
    line(
      `calibrateNoiseMultiplier ${accountant}, epsilon 8, 2900 steps`,
      `${ms.toFixed(1)} ms (sigma ${sigma.toFixed(4)})`,
    );
  }

  // BLT fits: the streaming BLT (single participation) and the multi-epoch one (b = 58, k = 50).
  for (const [label, fit] of [
    ['fitBlt n = 2900, single participation', { steps: 2900 }],
    [
      'fitBlt n = 2900, min-separation 58, 50 participations',
      { steps: 2900, minSeparation: 58, maxParticipations: 50 },
    ],
  ] as const) {
    let result: ReturnType<typeof fitBlt> | undefined;
    const ms = medianMs(() => {
      result = fitBlt({ ...fit, bufferCount: 'auto' });
    }, 1);
    line(
      label,
      `${ms.toFixed(0)} ms (${result!.bufferCount} buffers, sensitivity ${result!.sensitivity.toFixed(4)}, loss ${result!.loss.toFixed(3)})`,
    );
  }

  // Gaussian noise throughput.
  const out = new Float32Array(1_000_000);
  const seeded = SeededRandom.fromSeed(1);
  const secure = new SecureRandom();
  for (const [label, rng, resistant] of [
    ['fillGaussian seeded', seeded, false],
    ['fillGaussian secure', secure, false],
    ['fillGaussian secure, floating-point-attack resistant', secure, true],
  ] as const) {
    const ms = medianMs(() => fillGaussian(out, 1, rng, { secure: resistant }), 3);
    line(label, `${(out.length / ms / 1000).toFixed(1)} M samples/s`);
  }
}
