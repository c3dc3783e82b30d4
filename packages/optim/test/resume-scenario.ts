import { Blt, bltStrategy } from '@cnm/core';
import type * as tfType from '@tensorflow/tfjs-core';
import { DpAdamBc } from '../src/dp-adam-bc';
import type { DpOptimizer } from '../src/dp-optimizer';
import { DpSgd } from '../src/dp-sgd';
import { DpTfjsOptimizer } from '../src/dp-tfjs-optimizer';
import { syntheticGradient, testValues } from './tfjs-setup';

/** Which optimizer a resume scenario exercises: the built-in ones, or a tfjs optimizer given to DpTfjsOptimizer. */
export type ScenarioKind = 'sgd' | 'adam' | 'tfjs-adam' | 'tfjs-momentum';

/** The shapes of the scenario's variables. */
export const scenarioShapes = [[4, 3], [3], [2, 2]];

const noise = {
  strategy: bltStrategy(new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2])),
  noiseMultiplier: 0.8,
  maxGradNorm: 1.5,
  sensitivity: 2.2,
  random: { seed: 2024n },
};

/** Fresh variables holding `values` (or the scenario's start values). */
export function scenarioVariables(tf: typeof tfType, values?: readonly Float32Array[]): tfType.Variable[] {
  return scenarioShapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(values?.[i] ?? testValues(size, 300 + i), shape));
  });
}

/** A fresh optimizer of the scenario over `variables` (with a fresh tfjs optimizer for the tfjs kinds). */
export function scenarioOptimizer(
  kind: ScenarioKind,
  variables: tfType.Variable[],
  tf?: typeof tfType,
): DpSgd | DpAdamBc | DpTfjsOptimizer {
  if (kind === 'tfjs-adam' || kind === 'tfjs-momentum') {
    if (tf === undefined) throw new Error('the tfjs kinds need tf');
    const optimizer = kind === 'tfjs-adam' ? tf.train.adam(0.01) : tf.train.momentum(0.05, 0.9, true);
    return new DpTfjsOptimizer({ variables, optimizer, noise });
  }
  return kind === 'sgd'
    ? new DpSgd({ variables, learningRate: (t) => 0.05 / (1 + t), momentum: 0.9, nesterov: true, noise })
    : new DpAdamBc({ variables, learningRate: 0.01, weightDecay: 0.01, noise });
}

/** Runs `steps` steps with parameter-dependent gradient sums and varying normalisers. */
export function runScenario(
  tf: typeof tfType,
  optimizer: DpOptimizer,
  variables: tfType.Variable[],
  steps: number,
): void {
  for (let t = 0; t < steps; t++) {
    const normaliser = 8 + ((optimizer.iterations * 5) % 7);
    tf.tidy(() => {
      optimizer.step(
        new Map(variables.map((v, i) => [v, tf.mul(syntheticGradient(v, i), normaliser)] as const)),
        normaliser,
      );
    });
  }
}
