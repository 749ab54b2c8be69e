/**
 * The analysis figures, in the LayerAct paper's shapes, as vega-lite → SVG (src/report/plot.ts):
 * distributions per activation (Figures 4/5 and the appendix's input-fluctuation figure), the PCA scatter of
 * the penultimate features (Figure 3), activation-mean quantiles over the epochs, and a layer × corruption map.
 */
import type * as vl from 'vega-lite';
import { renderSvg } from '../report/plot.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Kernel-density curves of `value`, one colour per group, one panel per `panel`. */
export async function densitySvg(rows: { group: string; panel: string; value: number }[], o: { title?: string; xTitle: string; groups?: string[] }): Promise<string> {
  const panels = [...new Set(rows.map((r) => r.panel))];
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows.filter((r) => Number.isFinite(r.value)) },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 300,
      height: 220,
      transform: [{ density: 'value', groupby: ['group', 'panel'], steps: 120 }],
      mark: { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: o.xTitle },
        y: { field: 'density', type: 'quantitative', title: 'density' },
        color: { field: 'group', type: 'nominal', title: null, ...(o.groups ? { sort: o.groups } : {}) },
      },
    },
  } as unknown as vl.TopLevelSpec;
  return renderSvg(spec);
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

/** Median line with a q05–q95 band per group over the epochs. */
export async function bandSvg(rows: { epoch: number; group: string; lo: number; mid: number; hi: number }[], o: { title?: string; yTitle: string }): Promise<string> {
  const enc = { x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, color: { field: 'group', type: 'nominal', title: null } };
  const spec = {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows },
    width: 420,
    height: 260,
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { ...enc, y: { field: 'lo', type: 'quantitative', title: o.yTitle }, y2: { field: 'hi' } } },
      { mark: { type: 'line', point: true }, encoding: { ...enc, y: { field: 'mid', type: 'quantitative', title: o.yTitle } } },
    ],
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
