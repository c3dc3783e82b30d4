import { MODE_NAMES } from '@cnm/optim';
import { describe, expect, it } from 'vitest';
import { auditModes } from './audit-command';

describe('auditModes', () => {
  it('is every mode of the table by default, and the ones named otherwise', () => {
    expect(auditModes(undefined)).toEqual([...MODE_NAMES]);
    expect(auditModes(['BLT', 'DP-SGD-BASE'])).toEqual(['BLT', 'DP-SGD-BASE']);
  });

  it('refuses an unknown mode, listing the modes', () => {
    expect(() => auditModes(['BLT', 'blt'])).toThrow(/unknown mode 'blt'; the modes are DP-SGD-BASE/);
  });
});
