import { describe, expect, it } from 'vitest';
import { bestByValidationDice } from './unet-utility-report';

const run = (dice: number) => ({ validation: { dice, iou: dice / (2 - dice) } });

describe('bestByValidationDice', () => {
  it('picks the highest validation Dice, the first one on a tie', () => {
    expect(bestByValidationDice([run(0.2), run(0.9), run(0.5)])).toBe(1);
    expect(bestByValidationDice([run(0.7), run(0.4), run(0.7)])).toBe(0);
    expect(bestByValidationDice([run(0)])).toBe(0);
  });

  it('refuses an empty search', () => {
    expect(() => bestByValidationDice([])).toThrow(/at least one run/);
  });
});
