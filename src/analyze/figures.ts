/**
 * The analysis figures, in the LayerAct paper's shapes, as vega-lite → SVG (src/report/plot.ts):
 * distributions per activation (Figures 4/5 and the appendix's input-fluctuation figure), the PCA scatter of
 * the penultimate features (Figure 3), activation-mean quantiles over the epochs, and a layer × corruption map.
 */
import type * as vl from 'vega-lite';
import { renderSvg } from '../report/plot.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Kernel-density curves of `value`, one colour per group, one panel per `panel` (each panel its own x range). */
export async function densitySvg(rows: { group: string; panel: string; value: number }[], o: { title?: string; xTitle: string; groups?: string[] }): Promise<string> {
  const panels = [...new Set(rows.map((r) => r.panel))];
  const values = rows.filter((r) => Number.isFinite(r.value));
  const groups = o.groups ?? [...new Set(rows.map((r) => r.group))];
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values },
    // one chart per panel: the density's extent is then that panel's range
    hconcat: panels.map((p) => {
      const xs = values.filter((r) => r.panel === p).map((r) => r.value);
      const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
      const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
      return {
        title: { text: p, fontSize: 11, fontWeight: 'normal' },
        width: 300,
        height: 220,
        transform: [{ filter: { field: 'panel', equal: p } }, { density: 'value', groupby: ['group'], steps: 160, extent: [lo - pad, hi + pad] }],
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: o.xTitle, scale: { zero: false } },
          y: { field: 'density', type: 'quantitative', title: 'density' },
          color: { field: 'group', type: 'nominal', title: null, sort: groups, scale: { domain: groups } },
        },
      };
    }),
  } as unknown as vl.TopLevelSpec;
  return renderSvg(spec);
}

/** Every k-th of `n` items so about `max` remain, spread over the whole list (which may be sorted by class). */
export function evenly<T>(xs: T[], max: number): T[] {
  const step = Math.max(1, Math.ceil(xs.length / max));
  return xs.filter((_, k) => k % step === 0);
}

/** 2-D points coloured by class, one panel per group (at most `perPanel` points each, the first ones). */
export async function scatterSvg(rows: { panel: string; x: number; y: number; label: string }[], o: { title?: string; columns?: number }): Promise<string> {
  const panels = [...new Set(rows.map((r) => r.panel))];
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
    columns: o.columns ?? 3,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 220,
      height: 220,
      mark: { type: 'circle', size: 10, opacity: 0.7 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'PC 1', axis: { labels: false, ticks: false } },
        y: { field: 'y', type: 'quantitative', title: 'PC 2', axis: { labels: false, ticks: false } },
        color: { field: 'label', type: 'nominal', title: 'class' },
      },
    },
  } as unknown as vl.TopLevelSpec;
  return renderSvg(spec);
}

/** One line per group over the epochs (e.g. the median per-unit activation mean). */
export async function epochSvg(rows: { epoch: number; group: string; value: number }[], o: { title?: string; yTitle: string; groups?: string[] }): Promise<string> {
  const groups = o.groups ?? [...new Set(rows.map((r) => r.group))];
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows },
    width: 420,
    height: 260,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      color: { field: 'group', type: 'nominal', title: null, scale: { domain: groups } },
    },
  } as unknown as vl.TopLevelSpec;
  return renderSvg(spec);
}

/** A colour map of `value` over x × y (e.g. corruption × activation). */
export async function heatmapSvg(rows: { x: string; y: string; value: number }[], o: { title?: string; xTitle: string; yTitle: string; valueTitle: string }): Promise<string> {
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows.map((r) => ({ ...r, text: Number.isFinite(r.value) ? r.value.toFixed(2) : '–' })) },
    layer: [
      {
        mark: 'rect',
        encoding: {
          x: { field: 'x', type: 'nominal', title: o.xTitle, sort: null },
          y: { field: 'y', type: 'nominal', title: o.yTitle, sort: null },
          color: { field: 'value', type: 'quantitative', title: o.valueTitle, scale: { scheme: 'viridis' } },
        },
      },
    ],
    width: { step: 26 },
    height: { step: 22 },
  } as unknown as vl.TopLevelSpec;
  return renderSvg(spec);
}
