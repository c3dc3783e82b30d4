/** The small private runs the audit's tests audit: a tiny classifier with more parameters than canaries. */
import type { ModeName } from '@cnm/optim';
import { classifier, crossEntropy, separableTask } from '../../test/engine-fixtures';
import type { AuditPrivacyOptions } from './audit-options';

/** Real examples of the audited runs. */
export const REAL_EXAMPLES = 16;
/** Canaries of the audited runs (the classifier has 602 parameters). */
export const CANARIES = 500;
/** Examples the sampler draws from: the real ones and the canary slots. */
export const SLOTS = REAL_EXAMPLES + CANARIES;

const data = separableTask(REAL_EXAMPLES, 3);

/** Options of an audited run of `mode`: 4 steps per epoch, 2 epochs, ε = 1 at δ = 1e-5, unless `extra` says otherwise. */
export function auditOptions(
  mode: ModeName,
  seed: number,
  extra: Partial<AuditPrivacyOptions> = {},
): AuditPrivacyOptions {
  return {
    model: () => classifier(120),
    lossFn: crossEntropy,
    data,
    mode,
    epochs: 2,
    batchSize: SLOTS / 4,
    maxGradNorm: 1,
    learningRate: mode.endsWith('Adam') ? 0.01 : 0.1,
    targetEpsilon: 1,
    targetDelta: 1e-5,
    canaries: CANARIES,
    seed,
    ...(mode === 'Single Parameter' ? { gamma: 0.5 } : {}),
    ...(mode.startsWith('Amplified-BandMF') ? { bands: 2 } : {}),
    ...extra,
  } as AuditPrivacyOptions;
}
