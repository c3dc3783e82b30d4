import { describe, expect, it } from 'vitest';
import {
  ComposedEvent,
  GaussianEvent,
  NoOpEvent,
  PoissonSampledEvent,
  SelfComposedEvent,
  UnsupportedEventError,
} from './events';
import { gdpEpsilon } from './gaussian';
import { GaussianAccountant } from './gaussian-accountant';
import { PldAccountant } from './pld-accountant';
import { OPACUS_RDP_ORDERS } from './rdp';
import { RdpAccountant } from './rdp-accountant';

const step = (q: number, sigma: number) => new PoissonSampledEvent(q, new GaussianEvent(sigma));

describe('accountants share one interface', () => {
  it('compose(event, count) equals composing a SelfComposedEvent and a list', () => {
    for (const make of [() => new RdpAccountant(), () => new PldAccountant({ interval: 1e-3 })]) {
      const a = make().compose(step(0.05, 1.2), 30).compose(new GaussianEvent(8));
      const b = make().compose(
        new ComposedEvent([new SelfComposedEvent(step(0.05, 1.2), 30), new GaussianEvent(8)]),
      );
      const c = make();
      for (let i = 0; i < 30; i++) c.compose(step(0.05, 1.2));
      c.compose(new NoOpEvent()).compose(new GaussianEvent(8));
      expect(a.getEpsilon(1e-6)).toBeCloseTo(b.getEpsilon(1e-6), 10);
      expect(a.getEpsilon(1e-6)).toBeCloseTo(c.getEpsilon(1e-6), 10);
    }
  });

  it('restores the same guarantee from its JSON state (checkpoints)', () => {
    const accountants = [
      new RdpAccountant({ orders: OPACUS_RDP_ORDERS }),
      new PldAccountant({ interval: 1e-3 }),
      new GaussianAccountant(),
    ];
    for (const accountant of accountants) {
      accountant.compose(new SelfComposedEvent(new GaussianEvent(3), 4));
      if (accountant.kind !== 'gaussian') accountant.compose(step(0.01, 0.9), 50);
      const state = JSON.parse(JSON.stringify(accountant.toJSON()));
      const restored =
        accountant.kind === 'rdp'
          ? RdpAccountant.fromJSON(state)
          : accountant.kind === 'pld'
            ? PldAccountant.fromJSON(state)
            : GaussianAccountant.fromJSON(state);
      expect(restored.getEpsilon(1e-5)).toBe(accountant.getEpsilon(1e-5));
      expect(restored.getDelta(1)).toBe(accountant.getDelta(1));
    }
    expect(() => RdpAccountant.fromJSON(new PldAccountant().toJSON())).toThrow(/rdp accountant state/);
  });

  it('states what it supports and refuses the rest with a clear error', () => {
    const nested = new PoissonSampledEvent(0.1, new SelfComposedEvent(new GaussianEvent(1), 2));
    for (const accountant of [new RdpAccountant(), new PldAccountant(), new GaussianAccountant()]) {
      expect(accountant.supports(nested)).toBe(false);
      expect(() => accountant.compose(nested)).toThrow(UnsupportedEventError);
      expect(accountant.supports(new GaussianEvent(1))).toBe(true);
    }
    const gaussian = new GaussianAccountant();
    expect(gaussian.supports(step(0.1, 1))).toBe(false);
    expect(() => gaussian.compose(step(0.1, 1))).toThrow(/no amplification by sampling/);
    expect(gaussian.supports(step(1, 1))).toBe(true);
  });

  it('is exact for Gaussians without sampling, and the others bound it from above', () => {
    const events = new ComposedEvent([new SelfComposedEvent(new GaussianEvent(2), 10), new GaussianEvent(5)]);
    const mu = Math.sqrt(10 / 4 + 1 / 25);
    const exact = gdpEpsilon(mu, 1e-6);
    expect(new GaussianAccountant().compose(events).getEpsilon(1e-6)).toBeCloseTo(exact, 12);
    const pld = new PldAccountant().compose(events).getEpsilon(1e-6);
    expect(pld).toBeGreaterThanOrEqual(exact);
    expect(pld - exact).toBeLessThan(1e-4);
    expect(new RdpAccountant().compose(events).getEpsilon(1e-6)).toBeGreaterThan(pld);
  });

  it('reports zero privacy loss for nothing composed, and getDelta inverts getEpsilon', () => {
    for (const accountant of [new RdpAccountant(), new PldAccountant(), new GaussianAccountant()]) {
      expect(accountant.getEpsilon(1e-5)).toBe(0);
      expect(accountant.getDelta(0)).toBe(0);
      accountant.compose(new SelfComposedEvent(new GaussianEvent(4), 10));
      const epsilon = accountant.getEpsilon(1e-5);
      expect(epsilon).toBeGreaterThan(0);
      expect(Math.abs(accountant.getDelta(epsilon) / 1e-5 - 1)).toBeLessThan(1e-6);
    }
  });

  it('composes heterogeneous sampled steps in the PLD accountant', () => {
    const pld = new PldAccountant({ interval: 1e-3 }).compose(step(0.02, 1), 100).compose(step(0.05, 2), 50);
    const rdp = new RdpAccountant().compose(step(0.02, 1), 100).compose(step(0.05, 2), 50);
    const onlyFirst = new PldAccountant({ interval: 1e-3 }).compose(step(0.02, 1), 100);
    const e = pld.getEpsilon(1e-6);
    expect(e).toBeLessThan(rdp.getEpsilon(1e-6));
    expect(e).toBeGreaterThan(onlyFirst.getEpsilon(1e-6));
  });

  it('validates options with parameter names and ranges', () => {
    expect(() => new PldAccountant({ interval: 0 })).toThrow(
      /interval must be a finite number in \[1e-7, 1\]/,
    );
    expect(() => new PldAccountant({ maxSupport: 10 })).toThrow(/maxSupport must be an integer in \[1024, /);
    expect(() => new RdpAccountant({ orders: [0.5] })).toThrow(/orders must be finite numbers in \(1, 1e6\]/);
    expect(() => new RdpAccountant({ conversion: 'x' as never })).toThrow(
      /conversion must be 'tight' or 'classic'/,
    );
    expect(() => new RdpAccountant().getEpsilon(0)).toThrow(/delta must be a finite number in \(0, 1\)/);
    expect(() => new RdpAccountant().compose(new GaussianEvent(1), -1)).toThrow(/count must be an integer/);
  });
});
