/**
 * The trade-off a search found: the Pareto figure over every evaluated candidate (clean validation accuracy
 * vs corrupted accuracy, latency ratio to ReLU as size when the fitness measured it), the front drawn.
 */
import type * as vl from 'vega-lite';
import type { FitnessKind } from '../search/fitness.js';
import type { Candidate } from '../search/evolution.js';
import { decide, type Axis, type DecisionRow } from './decision.js';
import { paretoPoints, paretoSpec, renderSvg } from './pareto.js';

export const SEARCH_PARETO_FILE = 'pareto.svg';

export interface SearchPareto {
  /** markdown lines for the report */
  markdown: string[];
  spec: vl.TopLevelSpec | null;
  svg: string | null;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export async function searchPareto(history: Candidate[], fitness: FitnessKind): Promise<SearchPareto> {
  // duplicates repeat another candidate's numbers: one point per distinct function
  const ok = history.filter((c) => c.status === 'ok' && num(c.details.valAcc));
  const robust = ok.filter((c) => num(c.details.corruptedAcc));
  if (robust.length === 0) {
    return { markdown: ['## Trade-off over the candidates', '', `No Pareto figure: the fitness '${fitness}' measured no corrupted accuracy (search with --fitness robust or robust+latency to see the clean / robust trade-off).`, ''], spec: null, svg: null };
  }
  const withLatency = robust.every((c) => num(c.details.latencyRatio));
  const rows: DecisionRow[] = robust.map((c) => ({
    activation: `#${c.id} ${c.expr}`, seeds: 1, clean: [c.details.valAcc as number], robust: [c.details.corruptedAcc as number], total19: [], mce: [],
    throughput: [], latency: withLatency ? [c.details.latencyRatio as number] : [], memory: [], params: [],
  }));
  const axes: Axis[] = withLatency ? ['clean', 'robust', 'latency'] : ['clean', 'robust'];
  const d = decide(rows, { axes });
  const spec = paretoSpec(paretoPoints(d), {
    title: `Search: every evaluated candidate (${robust.length}), line = Pareto set`, legend: false,
    xTitle: 'clean validation top-1 %', yTitle: 'corrupted validation top-1 % (4 corruptions, severity 3)', latencyTitle: 'latency ratio to ReLU',
  });
  return {
    markdown: ['## Trade-off over the candidates', '',
      `Pareto set over (clean ↑, corrupted ↑${withLatency ? ', latency ratio ↓' : ''}) among the ${robust.length} evaluated candidates (one training each, so indicative): ${(d.front ?? []).join('; ')}.`, '',
      `![Pareto over the candidates](${SEARCH_PARETO_FILE})`, ''],
    spec, svg: await renderSvg(spec),
  };
}
