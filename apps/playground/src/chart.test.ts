import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { METRICS, metricsChartSpec } from './chart';

describe('metricsChartSpec', () => {
  it('compiles to a vega spec with one panel per metric and its points inline', () => {
    const points = [
      { step: 0, metric: 'ε spent', value: 0 },
      { step: 1, metric: 'training loss', value: 2.3 },
      { step: 20, metric: 'test accuracy', value: 0.4 },
    ] as const;
    const spec = metricsChartSpec(points);
    const { spec: vega } = compile(spec);
    const source = vega.data?.find((d) => 'values' in d && Array.isArray(d.values));
    expect(source && 'values' in source ? source.values : undefined).toEqual(points);
    expect(JSON.stringify(vega)).not.toMatch(/"url"/); // nothing to fetch
    expect(spec).toMatchObject({ facet: { column: { field: 'metric', sort: [...METRICS] } } });
  });
});
