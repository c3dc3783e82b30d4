import { Blt, bltStrategy } from '@cnm/core';
import { describe, expect, it } from 'vitest';
import { CorrelatedNoise } from '../src/correlated-noise';
import { DpAdamBc } from '../src/dp-adam-bc';
import { adamBcUpdate } from '../src/update-rules';
import reference from './fixtures/adam-bc.json' with { type: 'json' };
import { useCpuBackend } from './tfjs-setup';

// Reference values from test/fixtures/generate-adam-bc.py (mpmath, 60 digits): C^-1 by Toeplitz
// inversion, its row norms, the DP-AdamBC noise-variance estimate and an Adam-BC trajectory.
const tf = await useCpuBackend();
const strategy = bltStrategy(new Blt(reference.blt.decays, reference.blt.outputScales));

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
}

describe('reference values (mpmath)', () => {
  it('row norms of C^-1 tracked by the noise generator', () => {
    const noise = new CorrelatedNoise({
      strategy,
      size: 1,
      noiseMultiplier: 1,
      maxGradNorm: 1,
      sensitivity: 1,
      random: { seed: 1 },
    });
    reference.rowNormSquared.forEach((expected) => {
      noise.next();
      expect(relativeError(noise.lastRowNormSquared, expected)).toBeLessThan(1e-13);
    });
  });

  it('time-varying noise-variance estimate of DpAdamBc', () => {
    const v = tf.variable(tf.zeros([2]));
    const optimizer = new DpAdamBc({
      variables: [v],
      learningRate: 0.01,
      beta1: reference.beta1,
      beta2: reference.beta2,
      noise: { strategy, noiseMultiplier: 0.9, maxGradNorm: 2, sensitivity: 1.4, random: { seed: 1 } },
    });
    expect(relativeError(optimizer.noise.standardDeviation, reference.scale)).toBeLessThan(1e-15);
    reference.normalisers.forEach((normaliser, t) => {
      optimizer.step(new Map([[v, tf.zeros([2])]]), normaliser);
      expect(
        relativeError(optimizer.noiseVarianceEstimate, reference.noiseVarianceEstimates[t] as number),
      ).toBeLessThan(1e-12);
    });
  });

  it('Adam-BC trajectory with correlated noise, weight decay and an active floor', () => {
    const r = reference.trajectory;
    const params = Float32Array.from(r.start);
    const m = new Float32Array(3);
    const s = new Float32Array(3);
    r.params.forEach((expected, t) => {
      adamBcUpdate(
        params,
        Float32Array.from(r.gradientSums[t] as number[]),
        Float64Array.from(r.noise[t] as number[]),
        0,
        reference.normalisers[t] as number,
        {
          learningRate: r.learningRate,
          beta1: reference.beta1,
          beta2: reference.beta2,
          epsilon: r.epsilon,
          firstBiasCorrection: 1 - reference.beta1 ** (t + 1),
          secondBiasCorrection: 1 - reference.beta2 ** (t + 1),
          noiseVarianceEstimate: reference.noiseVarianceEstimates[t] as number,
          varianceFloor: r.varianceFloor,
          weightDecay: r.weightDecay,
        },
        m,
        s,
      );
      // float32 storage of parameters and moments: agreement to a few float32 ulps.
      expected.forEach((value, i) => {
        expect(Math.abs((params[i] as number) - value)).toBeLessThan(2e-6);
      });
    });
    expect(r.floorActive).toContain(true);
    expect(r.floorActive).toContain(false);
  });
});
