/** The runs of the engine tests: 64 separable points, 4 epochs of batch 16, one set of options per mode. */
import type { ModeName } from '@cnm/optim';
import type { MakePrivateWithEpsilonOptions, PrivateTrainer } from '../src/index';
import { classifier, crossEntropy, separableTask } from './engine-fixtures';

/** The training set and the delta of the runs. */
export const ENGINE_RUN = { data: separableTask(64, 7), delta: 1e-5 } as const;
const { data, delta } = ENGINE_RUN;

/** The options of a run of `mode` calibrated to epsilon 8. */
export function base(mode: ModeName): MakePrivateWithEpsilonOptions {
  const adam = mode.endsWith('Adam');
  return {
    model: classifier(),
    lossFn: crossEntropy,
    data,
    epochs: 4,
    batchSize: 16,
    targetEpsilon: 8,
    targetDelta: delta,
    maxGradNorm: 1,
    mode,
    learningRate: adam ? 0.1 : 0.5,
    seed: 11,
    ...(mode === 'Single Parameter' ? { gamma: 0.5 } : {}),
    // DP-AdamBC's default floor (1e-8) lets a step blow up when the noise variance exceeds the second
    // moment, which 16 noisy steps do often; a higher floor bounds the step.
    ...(adam ? { varianceFloor: 1e-4 } : {}),
    // PLD costs about half a second per evaluation: RDP keeps the suite fast, PLD is checked below.
    ...(mode === 'DP-SGD-AMPLIFIED' ? { accountant: 'rdp' as const } : {}),
  };
}

/** The trained weights of a run, from its state. */
export function weightsOf(trainer: PrivateTrainer): Float32Array[] {
  return trainer.exportState().weights.map((w) => w.values);
}

/** The modes every engine test covers. */
export const modes: ModeName[] = [
  'DP-SGD-BASE',
  'DP-SGD-AMPLIFIED',
  'BLT',
  'Multi-Epoch-BLT',
  'Single Parameter',
  'BLT-Adam',
  'Multi-Epoch-BLT-Adam',
];
