import { describe, expect, it } from 'vitest';
import {
  ComposedEvent,
  eventFromJSON,
  flattenEvent,
  GaussianEvent,
  NoOpEvent,
  PoissonSampledEvent,
  SelfComposedEvent,
} from './events';

describe('event algebra', () => {
  const dpSgd = new SelfComposedEvent(new PoissonSampledEvent(0.01, new GaussianEvent(1.1)), 100);
  const mixed = new ComposedEvent([
    dpSgd,
    new GaussianEvent(3),
    new NoOpEvent(),
    new SelfComposedEvent(dpSgd, 2),
  ]);

  it('round-trips through JSON', () => {
    const json = JSON.parse(JSON.stringify(mixed));
    expect(eventFromJSON(json).toJSON()).toEqual(mixed.toJSON());
  });

  it('flattens to merged sampled-Gaussian atoms', () => {
    expect(flattenEvent(mixed, 2)).toEqual([
      { noiseMultiplier: 1.1, sampleRate: 0.01, count: 600 },
      { noiseMultiplier: 3, sampleRate: 1, count: 2 },
    ]);
    expect(flattenEvent(new PoissonSampledEvent(0, new GaussianEvent(1)))).toEqual([]);
    expect(flattenEvent(new PoissonSampledEvent(1, new SelfComposedEvent(new GaussianEvent(2), 3)))).toEqual([
      { noiseMultiplier: 2, sampleRate: 1, count: 3 },
    ]);
  });

  it('reports why sampling of a composite event is unsupported', () => {
    const nested = new PoissonSampledEvent(0.5, new SelfComposedEvent(new GaussianEvent(1), 2));
    expect(flattenEvent(nested)).toMatch(/only around a single GaussianEvent/);
  });

  it('validates parameters with their names and ranges', () => {
    expect(() => new GaussianEvent(0)).toThrow(/noiseMultiplier must be a finite number in \(0, /);
    expect(() => new GaussianEvent(Number.NaN)).toThrow(/noiseMultiplier/);
    expect(() => new PoissonSampledEvent(1.5, new GaussianEvent(1))).toThrow(/sampleRate .*\[0, 1\]/);
    expect(() => new SelfComposedEvent(new GaussianEvent(1), 1.5)).toThrow(/count must be an integer/);
    expect(() => new ComposedEvent([{} as GaussianEvent])).toThrow(/events\[0\] must be a DpEvent/);
    expect(() => eventFromJSON({ kind: 'laplace' } as never)).toThrow(/unknown event kind/);
  });
});
