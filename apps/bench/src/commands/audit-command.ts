import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODE_NAMES, type ModeName } from '@cnm/optim';
import { auditPrivacy, selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import { type AuditReport, type AuditRow, auditMarkdown } from '../audit/audit-report';
import { loadFashionMnist } from '../data/fashion-mnist';
import { commandLine, machineInfo } from '../machine';
import { createCnn } from '../models/classifiers';
import { disposeSplit, perExampleCrossEntropy, splitToTensors } from '../train/tensors';

/** Options of the `audit` command. */
export interface AuditCommandOptions {
  /** Modes to audit (default all). */
  readonly modes?: string[];
  /** Real training examples (the first n of Fashion-MNIST's training split). */
  readonly trainExamples: number;
  /** Canaries per audit. */
  readonly canaries: number;
  /** Canary kind. */
  readonly canaryKind: 'gradient' | 'input';
  /** Epochs of each audited run. */
  readonly epochs: number;
  /** Batch size over the real examples and the canary slots. */
  readonly batchSize: number;
  /** Target epsilon. */
  readonly epsilon: number;
  /** Delta of the claim. */
  readonly delta: number;
  /** Seed of the model, the sampling, the noise and the canaries. */
  readonly seed: number;
  /** Preferred backend. */
  readonly backend: TrainingBackendName;
  /** Output directory. */
  readonly out: string;
}

/** The modes asked for, checked against the mode table. */
export function auditModes(names: readonly string[] | undefined): ModeName[] {
  if (names === undefined) return [...MODE_NAMES];
  return names.map((name) => {
    if (!(MODE_NAMES as readonly string[]).includes(name)) {
      throw new RangeError(`unknown mode '${name}'; the modes are ${MODE_NAMES.join(', ')}`);
    }
    return name as ModeName;
  });
}

/**
 * Audits every mode on the benchmark CNN with `auditPrivacy` and writes `audit.json` and `audit.md` to `out` after
 * every mode (marked incomplete until the last).
 */
export async function auditCommand(options: AuditCommandOptions): Promise<void> {
  const modes = auditModes(options.modes);
  const selection = await selectBackend({ preferred: options.backend });
  const data = await loadFashionMnist();
  const train = splitToTensors(data.train, options.trainExamples);
  const parameters = createCnn({ seed: options.seed });
  const rows: AuditRow[] = [];
  const write = async (complete: boolean) => {
    const report: AuditReport = {
      command: commandLine(),
      machine: machineInfo(selection.backend),
      trainExamples: train.count,
      canaries: options.canaries,
      canaryKind: options.canaryKind,
      epochs: options.epochs,
      batchSize: options.batchSize,
      targetEpsilon: options.epsilon,
      delta: options.delta,
      confidence: 0.95,
      parameters: parameters.countParams(),
      rows,
      complete,
    };
    await mkdir(options.out, { recursive: true });
    await writeFile(join(options.out, 'audit.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(options.out, 'audit.md'), auditMarkdown(report));
  };
  parameters.dispose();
  try {
    for (const mode of modes) {
      const start = performance.now();
      const result = await auditPrivacy({
        model: () => createCnn({ seed: options.seed }),
        lossFn: perExampleCrossEntropy,
        data: { x: train.x, y: train.y },
        mode,
        epochs: options.epochs,
        batchSize: options.batchSize,
        maxGradNorm: 1,
        learningRate: mode.endsWith('Adam') ? 1e-3 : 0.5,
        targetEpsilon: options.epsilon,
        targetDelta: options.delta,
        canaries: options.canaries,
        canaryKind: options.canaryKind,
        seed: options.seed,
        ...(mode === 'Single Parameter' ? { gamma: 0.5 } : {}),
      });
      const row: AuditRow = {
        mode,
        claimedEpsilon: result.claimedEpsilon,
        epsilonLowerBound: result.epsilonLowerBound,
        guesses: result.guesses,
        correct: result.correct,
        scoring: result.scoring,
        steps: result.steps,
        seconds: (performance.now() - start) / 1000,
      };
      rows.push(row);
      console.log(
        `${mode.padEnd(24)} claimed ε ${row.claimedEpsilon.toFixed(3)}  lower bound ${row.epsilonLowerBound.toFixed(3)}  ` +
          `(${row.correct}/${row.guesses}, ${row.steps} steps, ${row.seconds.toFixed(1)} s)`,
      );
      await write(false);
    }
    await write(true);
  } finally {
    disposeSplit(train);
  }
}
