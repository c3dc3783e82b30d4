import { describe, expect, it } from 'vitest';
import { installStepHook, type StepHook, stepHookOf } from './step-hook';

describe('step hook registry', () => {
  const hook: StepHook = { realIndices: (batch) => batch, withCanaries: (_batch, sums) => sums };

  it('returns the hook of the optimizer it was installed for, and none for another', () => {
    const optimizer = {};
    installStepHook(optimizer, hook);
    expect(stepHookOf(optimizer)).toBe(hook);
    expect(stepHookOf({})).toBeUndefined();
  });

  it('refuses a second hook on the same run', () => {
    const optimizer = {};
    installStepHook(optimizer, hook);
    expect(() => installStepHook(optimizer, hook)).toThrow(/already has a step hook/);
  });
});
