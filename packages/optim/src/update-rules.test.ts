import { describe, expect, it } from 'vitest';
import { adamBcUpdate, sgdUpdate } from './update-rules';

const sgd = { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 };
const adam = {
  learningRate: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  firstBiasCorrection: 0.1,
  secondBiasCorrection: 0.001,
  noiseVarianceEstimate: 0,
  varianceFloor: 0,
  weightDecay: 0,
};

describe('sgdUpdate', () => {
  it('adds the noise slice at the offset and divides by the normaliser', () => {
    const params = new Float32Array([1, 2]);
    const noise = new Float64Array([100, 4, -8]);
    sgdUpdate(params, new Float32Array([4, 8]), noise, 1, 4, sgd, null);
    // g = ((4 + 4) / 4, (8 - 8) / 4) = (2, 0)
    expect([...params]).toEqual([Math.fround(1 - 0.2), 2]);
  });

  it('applies L2 weight decay to the averaged gradient', () => {
    const params = new Float32Array([2]);
    sgdUpdate(params, new Float32Array([0]), new Float64Array(1), 0, 1, { ...sgd, weightDecay: 0.5 }, null);
    expect(params[0]).toBeCloseTo(2 - 0.1 * 0.5 * 2, 6);
  });

  it('follows the heavy-ball and Nesterov recursions', () => {
    const heavy = new Float32Array([0]);
    const nesterov = new Float32Array([0]);
    const vHeavy = new Float32Array(1);
    const vNesterov = new Float32Array(1);
    for (let t = 0; t < 3; t++) {
      sgdUpdate(heavy, new Float32Array([1]), new Float64Array(1), 0, 1, { ...sgd, momentum: 0.5 }, vHeavy);
      sgdUpdate(
        nesterov,
        new Float32Array([1]),
        new Float64Array(1),
        0,
        1,
        { ...sgd, momentum: 0.5, nesterov: true },
        vNesterov,
      );
    }
    // velocities 1, 1.5, 1.75; heavy ball moves by lr * v, Nesterov by lr * (g + 0.5 v)
    expect(vHeavy[0]).toBeCloseTo(1.75, 6);
    expect(heavy[0]).toBeCloseTo(-0.1 * (1 + 1.5 + 1.75), 6);
    expect(nesterov[0]).toBeCloseTo(-0.1 * (1.5 + 1.75 + 1.875), 6);
  });
});

describe('adamBcUpdate', () => {
  it('moves by about lr * sign(g) at the first step', () => {
    const params = new Float32Array([0, 0]);
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    adamBcUpdate(params, new Float32Array([3, -0.5]), new Float64Array(2), 0, 1, adam, m, v);
    expect(params[0]).toBeCloseTo(-0.01, 6);
    expect(params[1]).toBeCloseTo(0.01, 6);
  });

  it('subtracts the noise variance estimate and respects the floor', () => {
    const g = 0.2;
    const corrected = (noiseVarianceEstimate: number, varianceFloor: number) => {
      const params = new Float32Array([0]);
      adamBcUpdate(
        params,
        new Float32Array([g]),
        new Float64Array(1),
        0,
        1,
        { ...adam, noiseVarianceEstimate, varianceFloor },
        new Float32Array(1),
        new Float32Array(1),
      );
      return params[0] as number;
    };
    // v_hat = g^2 = 0.04 at step 1; subtracting 0.03 leaves 0.01: step lr * 0.2 / 0.1 = 2 lr.
    expect(corrected(0.03, 0)).toBeCloseTo(-0.02, 5);
    // Subtracting more than v_hat hits the floor 1e-4: step lr * 0.2 / 0.01 = 20 lr.
    expect(corrected(1, 1e-4)).toBeCloseTo(-0.2, 4);
  });

  it('applies decoupled weight decay before the Adam step', () => {
    const params = new Float32Array([2]);
    adamBcUpdate(
      params,
      new Float32Array([0]),
      new Float64Array(1),
      0,
      1,
      { ...adam, weightDecay: 0.5 },
      new Float32Array(1),
      new Float32Array(1),
    );
    expect(params[0]).toBeCloseTo(2 * (1 - 0.01 * 0.5), 6);
  });
});
