/**
 * The decision section as the reports use it: rows from the runs and bench records, the decision, its
 * markdown, the Pareto figure (SVG and spec), and the interactive figures of a study report for report.html.
 */
import type * as vl from 'vega-lite';
import type { BenchRecord } from '../results/store.js';
import { decide, decisionMarkdown, decisionRows, manifestParams, type Decision, type Preference } from './decision.js';
import { categorySpec, severitySpec } from './figures.js';
import { paretoPoints, paretoSpec, renderSvg } from './pareto.js';
import type { ModelRun } from './robustness.js';

export interface DecisionView {
  decision: Decision;
  markdown: string;
  paretoSvg: string;
  paretoSpec: vl.TopLevelSpec;
}

export const PARETO_FILE = 'pareto.svg';

export async function decisionView(runs: ModelRun[], bench: BenchRecord[], o: { baseline?: string; preference?: Preference; paramsOf?: (model: string) => number | null } = {}): Promise<DecisionView> {
  const rows = decisionRows(runs, bench, { baseline: o.baseline, paramsOf: o.paramsOf ?? manifestParams });
  const decision = decide(rows, { preference: o.preference });
  const spec = paretoSpec(paretoPoints(decision));
  const batch = bench.length ? Math.max(...bench.map((b) => b.batch)) : undefined;
  return { decision, markdown: decisionMarkdown(decision, { baseline: o.baseline, batch, figure: PARETO_FILE, memory: bench.length && bench.every((b) => b.peakRssMiB !== undefined) ? 'peak' : 'growth' }), paretoSvg: await renderSvg(spec), paretoSpec: spec };
}

/** The interactive figures of a study report, by the file names the markdown links. */
export function studyFigures(runs: ModelRun[], pareto?: vl.TopLevelSpec): Record<string, vl.TopLevelSpec> {
  return { 'severity.svg': severitySpec(runs), 'categories.svg': categorySpec(runs), ...(pareto ? { [PARETO_FILE]: pareto } : {}) };
}
