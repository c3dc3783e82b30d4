import type { TopLevelSpec } from 'vega-lite';

/** The series the chart shows, in its column order. */
export const METRICS = ['ε spent', 'training loss', 'test accuracy'] as const;
/** One of {@link METRICS}. */
export type Metric = (typeof METRICS)[number];

/** One point of the chart. */
export interface MetricPoint {
  readonly step: number;
  readonly metric: Metric;
  readonly value: number;
}

/**
 * The vega-lite spec of the chart: one small panel per metric against the step, each with its own y scale; the
 * points are inline (nothing is fetched).
 */
export function metricsChartSpec(points: readonly MetricPoint[], width = 200, height = 150): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: points.map((point) => ({ ...point })) },
    facet: { column: { field: 'metric', type: 'nominal', sort: [...METRICS], title: null } },
    spec: {
      width,
      height,
      mark: { type: 'line', point: { size: 12 }, tooltip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'metric', type: 'nominal', legend: null, sort: [...METRICS] },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
