import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { classifier, crossEntropy } from '../../test/engine-fixtures';
import { type AuditPrivacyOptions, resolveAuditOptions } from './audit-options';

const x = tf.zeros([4, 2]);
const y = tf.zeros([4, 2]);
afterAll(() => tf.dispose([x, y]));

const valid: AuditPrivacyOptions = {
  model: () => classifier(),
  lossFn: crossEntropy,
  data: { x, y },
  mode: 'DP-SGD-BASE',
  epochs: 1,
  batchSize: 2,
  maxGradNorm: 1,
  targetEpsilon: 1,
  targetDelta: 1e-5,
  canaries: 10,
};

const withOptions = (extra: Record<string, unknown>) => ({ ...valid, ...extra }) as AuditPrivacyOptions;

describe('resolveAuditOptions', () => {
  it('applies the defaults and splits the engine options from the audit', () => {
    const resolved = resolveAuditOptions(withOptions({ seed: 3 }));
    expect(resolved.confidence).toBe(0.95);
    expect(resolved.canaryKind).toBe('gradient');
    expect(resolved.dataSize).toBe(4);
    expect(resolved.delta).toBe(1e-5);
    expect(resolved.withEpsilon).toBe(true);
    expect(resolved.engine.canaries).toBeUndefined();
    expect(resolved.engine.model).toBeUndefined();
    expect(resolved.engine.mode).toBe('DP-SGD-BASE');
    expect(resolved.random.isSecure).toBe(false);
    expect(resolveAuditOptions(withOptions({ noiseMultiplier: 1 })).withEpsilon).toBe(false);
    expect(resolveAuditOptions(valid).random.isSecure).toBe(true);
  });

  it('draws the same secrets for the same seed and others for another', () => {
    const draw = (seed: number) => resolveAuditOptions(withOptions({ seed })).random.nextUint32();
    expect(draw(1)).toBe(draw(1));
    expect(draw(1)).not.toBe(draw(2));
  });

  it('refuses bad audit options, naming them and their range', () => {
    expect(() => resolveAuditOptions(withOptions({ canaries: 1 }))).toThrow(
      /canaries must be an integer in \[2,/,
    );
    expect(() => resolveAuditOptions(withOptions({ canaries: 2.5 }))).toThrow(/canaries/);
    expect(() => resolveAuditOptions(withOptions({ confidence: 1 }))).toThrow(
      /confidence must be .*\(0, 1\)/,
    );
    expect(() => resolveAuditOptions(withOptions({ canaryKind: 'output' }))).toThrow(
      /canaryKind must be one of/,
    );
    expect(() => resolveAuditOptions(withOptions({ random: 3 }))).toThrow(/random must be a RandomGenerator/);
  });

  it('refuses engine options the audit cannot honour', () => {
    expect(() => resolveAuditOptions(withOptions({ model: classifier() }))).toThrow(
      /model must be a function/,
    );
    expect(() => resolveAuditOptions(withOptions({ datasetSize: 4 }))).toThrow(
      /'datasetSize' is not accepted/,
    );
    expect(() => resolveAuditOptions(withOptions({ sampler: {} }))).toThrow(/'sampler' is not accepted/);
    expect(() => resolveAuditOptions(withOptions({ targetDelta: undefined }))).toThrow(
      /targetDelta is required/,
    );
    expect(() => resolveAuditOptions(withOptions({ targetDelta: 2 }))).toThrow(/targetDelta must be/);
    expect(() => resolveAuditOptions(withOptions({ targetEpsilon: undefined }))).toThrow(
      /give noiseMultiplier or targetEpsilon/,
    );
    expect(() => resolveAuditOptions(withOptions({ maxGradNorm: [1, 1] }))).toThrow(
      /maxGradNorm must be a number/,
    );
    expect(() => resolveAuditOptions(withOptions({ clipping: 'adaptive' }))).toThrow(/need flat clipping/);
    expect(() => resolveAuditOptions(withOptions({ tpyo: 1 }))).toThrow(/unknown option 'tpyo'/);
    expect(() => resolveAuditOptions(withOptions({ data: { x } }))).toThrow(/data/);
  });

  it('accepts non-flat clipping with input canaries', () => {
    expect(resolveAuditOptions(withOptions({ canaryKind: 'input', maxGradNorm: [1, 1] })).canaryKind).toBe(
      'input',
    );
  });
});
