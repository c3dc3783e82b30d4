import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cosineDecay,
  exponentialDecay,
  learningRateAt,
  linearWarmup,
  piecewiseConstant,
  stepDecay,
  validateLearningRate,
} from './learning-rate';

describe('learning-rate schedules', () => {
  it('exponential decay, continuous and staircase', () => {
    const smooth = exponentialDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 10 });
    const stairs = exponentialDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 10, staircase: true });
    expect(smooth(0)).toBe(0.1);
    expect(smooth(5)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
    expect(smooth(20)).toBeCloseTo(0.025, 15);
    expect(stairs(9)).toBe(0.1);
    expect(stairs(10)).toBe(0.05);
  });

  it('step decay multiplies by the factor every everySteps steps', () => {
    const schedule = stepDecay({ initial: 0.2, factor: 0.1, everySteps: 3 });
    expect([0, 2, 3, 5, 6].map(schedule)).toEqual([0.2, 0.2, 0.2 * 0.1, 0.2 * 0.1, 0.2 * 0.1 ** 2]);
    expect(() => stepDecay({ initial: 0.2, factor: 0, everySteps: 3 })).toThrow(/factor/);
    expect(() => stepDecay({ initial: 0.2, factor: 0.5, everySteps: 0 })).toThrow(/everySteps/);
  });

  it('cosine decay reaches the final value and stays there', () => {
    const schedule = cosineDecay({ initial: 1, totalSteps: 100, final: 0.1 });
    expect(schedule(0)).toBe(1);
    expect(schedule(50)).toBeCloseTo(0.55, 12);
    expect(schedule(100)).toBeCloseTo(0.1, 12);
    expect(schedule(1000)).toBeCloseTo(0.1, 12);
  });

  it('linear warm-up then the wrapped schedule shifted by the warm-up', () => {
    const schedule = linearWarmup(4, (t) => 1 / (1 + t));
    expect([0, 1, 2, 3].map(schedule)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(schedule(4)).toBe(1);
    expect(schedule(5)).toBe(0.5);
  });

  it('piecewise constant switches at the boundaries', () => {
    const schedule = piecewiseConstant([10, 30], [0.1, 0.03, 0.01]);
    expect([0, 9, 10, 29, 30, 99].map(schedule)).toEqual([0.1, 0.1, 0.03, 0.03, 0.01, 0.01]);
    expect(() => piecewiseConstant([10, 10], [1, 2, 3])).toThrow(/boundaries\[1\]/);
    expect(() => piecewiseConstant([10], [1])).toThrow(/values must have/);
  });

  it('schedules stay finite, non-negative and non-increasing after warm-up (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 5000 }),
        (initial, decayRate, steps, t) => {
          for (const schedule of [
            exponentialDecay({ initial, decayRate, decaySteps: steps }),
            cosineDecay({ initial, totalSteps: steps }),
          ]) {
            const now = learningRateAt(schedule, t);
            expect(now).toBeGreaterThanOrEqual(0);
            expect(learningRateAt(schedule, t + 1)).toBeLessThanOrEqual(now + 1e-15);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects negative, NaN and infinite learning rates with the step', () => {
    expect(() => validateLearningRate(-1)).toThrow(/learningRate/);
    expect(() => validateLearningRate(Number.POSITIVE_INFINITY)).toThrow(/learningRate/);
    expect(() => validateLearningRate('0.1' as unknown as number)).toThrow(TypeError);
    expect(() => learningRateAt((t) => 1 - t, 3)).toThrow(/from the schedule at step 3/);
    expect(() => exponentialDecay({ initial: 1, decayRate: 0, decaySteps: 1 })).toThrow(/decayRate/);
    expect(() => cosineDecay({ initial: 1, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => linearWarmup(0, 1)).toThrow(/warmupSteps/);
  });
});
