/**
 * The study figures as vega-lite specs for the interactive page: the same data as severity.svg and
 * categories.svg, plus a corruption selector on the severity curve, tooltips with the exact values and a
 * legend click that hides / shows an activation.
 */
import type * as vl from 'vega-lite';
import { CORRUPTIONS } from '../corrupt/presets.js';
import { LAYERACT_CATEGORIES } from '../eval/metrics.js';
import { LEGEND_PARAM } from './pareto.js';
import type { ModelRun } from './robustness.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const MEAN_OPTION = 'mean over corruptions';
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const hide = { condition: { param: LEGEND_PARAM, empty: false, value: 0 }, value: 1 };
const legendToggle = [{ name: LEGEND_PARAM, select: { type: 'point', fields: ['activation'], toggle: 'true' }, bind: 'legend' }];

/** runs grouped by activation, in first-seen order */
export function byActivation(runs: ModelRun[]): Map<string, ModelRun[]> {
  const g = new Map<string, ModelRun[]>();
  for (const r of runs) g.set(r.activation, [...(g.get(r.activation) ?? []), r]);
  return g;
}

/** Top-1 % per activation and severity (0 = clean), for the mean over corruptions and for each corruption (seed means). */
export function severityValues(runs: ModelRun[]): { activation: string; corruption: string; severity: number; accuracy: number; seeds: number }[] {
  const values: { activation: string; corruption: string; severity: number; accuracy: number; seeds: number }[] = [];
  const present = CORRUPTIONS.filter((c) => runs.some((r) => r.agg.grid[c]));
  for (const [act, rs] of byActivation(runs)) {
    const clean = rs.map((r) => r.agg.clean?.top1).filter((v): v is number => v !== undefined);
    for (const c of [MEAN_OPTION, ...present]) {
      if (clean.length) values.push({ activation: act, corruption: c, severity: 0, accuracy: 100 * avg(clean), seeds: clean.length });
      for (let s = 1; s <= 5; s++) {
        const per = rs.map((r) => {
          const xs = (c === MEAN_OPTION ? CORRUPTIONS : [c]).map((k) => r.agg.grid[k as (typeof CORRUPTIONS)[number]]?.[s]).filter((v): v is number => v !== undefined);
          return xs.length ? avg(xs) : NaN;
        }).filter((v) => !Number.isNaN(v));
        if (per.length) values.push({ activation: act, corruption: c, severity: s, accuracy: 100 * avg(per), seeds: per.length });
      }
    }
  }
  return values;
}

/** Top-1 % vs severity (0 = clean) per activation, for the mean over corruptions or one chosen corruption. */
export function severitySpec(runs: ModelRun[]): vl.TopLevelSpec {
  const values = severityValues(runs);
  const present = CORRUPTIONS.filter((c) => runs.some((r) => r.agg.grid[c]));
  const enc = {
    x: { field: 'severity', type: 'ordinal', title: 'severity (0 = clean)' },
    y: { field: 'accuracy', type: 'quantitative', title: 'top-1 %', scale: { zero: false } },
    color: { field: 'activation', type: 'nominal' },
    opacity: hide,
  };
  return {
    $schema: SCHEMA,
    title: 'Top-1 accuracy vs severity (choose the corruption below)',
    width: 420,
    height: 260,
    data: { values },
    params: [{ name: 'corruption', value: MEAN_OPTION, bind: { input: 'select', options: [MEAN_OPTION, ...present], name: 'corruption ' } }],
    transform: [{ filter: 'datum.corruption === corruption' }],
    layer: [
      // the legend's selection on the first layer: vega-lite makes the merged legend clickable only then
      { mark: 'line', params: legendToggle, encoding: enc },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: { ...enc, tooltip: [{ field: 'activation' }, { field: 'corruption' }, { field: 'severity', type: 'ordinal' }, { field: 'accuracy', type: 'quantitative', title: 'top-1 %' }, { field: 'seeds', type: 'quantitative' }] },
      },
    ],
  } as unknown as vl.TopLevelSpec;
}

/** Top-1 % per LayerAct category per activation (seed means). */
export function categoryValues(runs: ModelRun[]): { activation: string; category: string; accuracy: number; seeds: number }[] {
  const values: { activation: string; category: string; accuracy: number; seeds: number }[] = [];
  for (const [act, rs] of byActivation(runs)) {
    for (const cat of Object.keys(LAYERACT_CATEGORIES) as (keyof typeof LAYERACT_CATEGORIES)[]) {
      const xs = rs.map((r) => r.agg.categories[cat]).filter((v): v is number => v !== null);
      if (xs.length) values.push({ activation: act, category: cat, accuracy: 100 * avg(xs), seeds: xs.length });
    }
  }
  return values;
}

/** Top-1 % per LayerAct category per activation (bars). */
export function categorySpec(runs: ModelRun[]): vl.TopLevelSpec {
  const values = categoryValues(runs);
  return {
    $schema: SCHEMA,
    title: 'Top-1 accuracy per corruption category',
    data: { values },
    mark: 'bar',
    params: legendToggle,
    width: { step: 12 },
    height: 220,
    encoding: {
      column: { field: 'category', type: 'nominal', title: null },
      x: { field: 'activation', type: 'nominal', axis: null },
      y: { field: 'accuracy', type: 'quantitative', title: 'top-1 %', scale: { zero: false } },
      color: { field: 'activation', type: 'nominal' },
      opacity: hide,
      tooltip: [{ field: 'activation' }, { field: 'category' }, { field: 'accuracy', type: 'quantitative', title: 'top-1 %' }, { field: 'seeds', type: 'quantitative' }],
    },
  } as unknown as vl.TopLevelSpec;
}
