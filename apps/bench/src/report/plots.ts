import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { TableReport } from './table-report';

/**
 * Vega-Lite spec of the test accuracy after each epoch, one colour per row that ran: solid lines for the
 * last iterate, dashed for the weight average where the run measured one.
 */
export function accuracyPerEpochSpec(report: TableReport): TopLevelSpec {
  const values = report.rows.flatMap((row) => [
    ...row.accuracyPerEpoch.map((accuracy, i) => ({
      method: row.name,
      weights: 'last iterate',
      epoch: i + 1,
      accuracy,
    })),
    ...(row.averagedAccuracyPerEpoch ?? []).map((accuracy, i) => ({
      method: row.name,
      weights: 'weight average (EMA)',
      epoch: i + 1,
      accuracy,
    })),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Fashion-MNIST test accuracy per epoch (profile ${report.profile})`,
      ...(values.some((v) => v.weights !== 'last iterate')
        ? { subtitle: 'solid: last iterate; dashed: exponential moving average of the weights' }
        : {}),
    },
    width: 560,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
      color: { field: 'method', type: 'nominal', title: 'method', legend: { labelLimit: 400 } },
      strokeDash: {
        field: 'weights',
        type: 'nominal',
        title: 'weights',
        // Said in the subtitle: the renderer draws dashed legend symbols without a stroke.
        legend: null,
      },
      detail: { field: 'weights', type: 'nominal' },
    },
  };
}

/**
 * Vega-Lite spec of the privacy-utility trade-off: accuracy against the epsilon spent for the private rows
 * of this run and of the original table, non-private rows as horizontal rules.
 */
export function privacyUtilitySpec(report: TableReport): TopLevelSpec {
  const points = report.rows.flatMap((row) => {
    const out: { method: string; source: string; epsilon: number; accuracy: number }[] = [];
    if (row.mode !== 'non-private' && row.status === 'ok' && row.epsilon != null && row.accuracy != null) {
      out.push({ method: row.name, source: 'this run', epsilon: row.epsilon, accuracy: row.accuracy });
    }
    if (row.original?.epsilon != null) {
      out.push({
        method: row.name,
        source: 'original (PyTorch, 50 epochs)',
        epsilon: row.original.epsilon,
        accuracy: row.original.accuracy,
      });
    }
    return out;
  });
  const rules = report.rows
    .filter((row) => row.mode === 'non-private' && row.status === 'ok' && row.accuracy != null)
    .map((row) => ({ method: row.name, accuracy: row.accuracy }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Privacy-utility trade-off (profile ${report.profile})`,
    width: 560,
    height: 320,
    background: 'white',
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x: {
            field: 'epsilon',
            type: 'quantitative',
            title: 'ε spent (δ = N^-1.1)',
            scale: { domain: [0, Math.ceil(Math.max(1, ...points.map((p) => p.epsilon))) + 1] },
          },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
          color: { field: 'method', type: 'nominal', title: 'method', legend: { labelLimit: 400 } },
          shape: { field: 'source', type: 'nominal', title: 'source', legend: { labelLimit: 400 } },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: {
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'method', type: 'nominal' },
        },
      },
    ],
  };
}

/** Renders a Vega-Lite spec to SVG with vega's headless renderer. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG (resvg, system fonts), at `scale` times its size. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
