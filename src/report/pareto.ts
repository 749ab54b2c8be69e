/**
 * The Pareto figure: clean vs corruption accuracy, one point per activation (error bars across seeds),
 * latency as marker size, the front drawn. One vega-lite spec serves the SVG of the markdown report and the
 * interactive page (tooltips with the exact values, legend click hides an activation).
 */
import * as vega from 'vega';
import type * as vl from 'vega-lite';
import { compile } from 'vega-lite';
import { meanStd } from '../eval/stats.js';
import type { Decision } from './decision.js';

export interface ParetoPoint {
  activation: string;
  /** percent, mean and sample std across seeds (std 0 for one seed) */
  clean: number;
  cleanStd: number;
  robust: number;
  robustStd: number;
  /** latency p50 ms at batch 1 (or a search's latency ratio), null when not measured */
  latency: number | null;
  seeds: number;
  front: boolean;
}

export function paretoPoints(d: Decision): ParetoPoint[] {
  return d.rows.filter((r) => r.clean.length && r.robust.length).map((r) => {
    const [c, k, l] = [meanStd(r.clean.map((x) => 100 * x)), meanStd(r.robust.map((x) => 100 * x)), r.latency.length ? meanStd(r.latency).mean : null];
    return { activation: r.activation, clean: c.mean, cleanStd: c.std, robust: k.mean, robustStd: k.std, latency: l, seeds: r.seeds, front: d.front?.includes(r.activation) ?? false };
  });
}

/** Hidden activations in the page: a legend click toggles the activation in and out of this selection. */
export const LEGEND_PARAM = 'hidden';

export interface ParetoSpecOptions {
  title?: string;
  latencyTitle?: string;
  xTitle?: string;
  yTitle?: string;
  /** colour by activation with a legend (studies); a search's many candidates are one colour */
  legend?: boolean;
}

export function paretoSpec(points: ParetoPoint[], o: ParetoSpecOptions = {}): vl.TopLevelSpec {
  const legend = o.legend ?? true;
  const values = points.map((p) => ({
    ...p, cleanLo: p.clean - p.cleanStd, cleanHi: p.clean + p.cleanStd, robustLo: p.robust - p.robustStd, robustHi: p.robust + p.robustStd,
    status: p.front ? 'Pareto set' : 'dominated',
  }));
  const hide = { condition: { param: LEGEND_PARAM, empty: false, value: 0 }, value: 1 };
  const x = { field: 'clean', type: 'quantitative', title: o.xTitle ?? 'clean top-1 %', scale: { zero: false, padding: 12 } } as const;
  const y = { field: 'robust', type: 'quantitative', title: o.yTitle ?? 'corruption top-1 % (mean of 15)', scale: { zero: false, padding: 12 } } as const;
  const color = legend ? { color: { field: 'activation', type: 'nominal', title: 'activation' } as const } : {};
  const latencyTitle = o.latencyTitle ?? 'latency p50 ms (batch 1)';
  const tooltip = [
    { field: 'activation', type: 'nominal' }, { field: 'clean', type: 'quantitative', title: 'clean top-1 %' }, { field: 'cleanStd', type: 'quantitative', title: 'clean std' },
    { field: 'robust', type: 'quantitative', title: 'corruption top-1 % (15)' }, { field: 'robustStd', type: 'quantitative', title: 'corruption std' },
    { field: 'latency', type: 'quantitative', title: latencyTitle }, { field: 'seeds', type: 'quantitative' }, { field: 'status', type: 'nominal' },
  ] as const;
  const withLatency = values.some((v) => v.latency !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title ?? 'Clean vs corruption top-1 (bars ± std over seeds, size = latency, line = Pareto set)',
    width: 420,
    height: 300,
    data: { values },
    layer: [
      { mark: { type: 'line', color: '#888', strokeDash: [4, 3] }, transform: [{ filter: 'datum.front' }], encoding: { x, y, order: { field: 'clean', type: 'quantitative' } } },
      // the legend's selection on the first coloured layer: vega-lite makes the merged legend clickable only then
      {
        mark: { type: 'rule' },
        params: legend ? [{ name: LEGEND_PARAM, select: { type: 'point', fields: ['activation'], toggle: 'true' }, bind: 'legend' }] : [],
        encoding: { x: { ...x, field: 'cleanLo' }, x2: { field: 'cleanHi' }, y, ...color, opacity: hide },
      },
      { mark: { type: 'rule' }, encoding: { x, y: { ...y, field: 'robustLo' }, y2: { field: 'robustHi' }, ...color, opacity: hide } },
      {
        mark: { type: 'point', filled: true, tooltip: true },
        encoding: {
          x, y, ...color, opacity: hide,
          shape: { field: 'status', type: 'nominal', title: null, scale: { domain: ['Pareto set', 'dominated'], range: ['diamond', 'circle'] } },
          ...(withLatency ? { size: { field: 'latency', type: 'quantitative', title: latencyTitle, scale: { range: [40, 400] } } } : {}),
          tooltip: tooltip.map((t) => ({ ...t })),
        },
      },
      { mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10 }, encoding: { x, y, text: { field: 'activation' }, opacity: hide } },
    ],
  } as unknown as vl.TopLevelSpec;
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  return new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' }).toSVG();
}
