/**
 * The decision view: one row per activation across accuracy, robustness, speed and memory, the Pareto set
 * over (clean ↑, corruption ↑, latency ↓) with who dominates whom — counting a domination only beyond noise
 * when there are several seeds — and the best activation for a stated preference.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { corruptionErrors, meanEval } from '../eval/metrics.js';
import { meanStd, welchTTest } from '../eval/stats.js';
import type { BenchRecord } from '../results/store.js';
import type { ModelRun } from './robustness.js';

/** The three axes of the front and their direction. */
export const AXES = [
  { key: 'clean', title: 'clean top-1', better: 'higher' },
  { key: 'robust', title: 'corruption top-1 (mean of 15)', better: 'higher' },
  { key: 'latency', title: 'latency p50 at batch 1', better: 'lower' },
] as const;
export type Axis = (typeof AXES)[number]['key'];

/** One activation's measurements, one value per seed (model) for each. */
export interface DecisionRow {
  activation: string;
  seeds: number;
  clean: number[];
  robust: number[];
  total19: number[];
  mce: number[];
  throughput: number[];
  latency: number[];
  memory: number[];
  params: number[];
}

export type Preference = { kind: 'prefer'; axis: 'clean' | 'robust' | 'speed' } | { kind: 'weights'; weights: Partial<Record<'clean' | 'robust' | 'latency', number>> };

export interface DecisionOptions {
  /** the axes of the front (default all three; a search without latency uses clean and robust) */
  axes?: Axis[];
  /** Welch's one-sided test level for "beyond noise" (the report's significance level) */
  alpha?: number;
  preference?: Preference;
}

export interface Domination {
  by: string;
  /** the means dominate but no axis differs beyond noise: the domination does not count */
  withinNoise: boolean;
}

export interface Decision {
  rows: DecisionRow[];
  alpha: number;
  /** every activation has ≥ 2 seeds: dominations are tested; otherwise the set is indicative (means only) */
  tested: boolean;
  /** what is missing for a front (an axis without values for some activation); empty when the front exists */
  missing: string[];
  /** the Pareto set, or null when `missing` is not empty */
  front: string[] | null;
  /** per activation: who dominates it (counting) and who dominates its means only within noise */
  dominatedBy: Record<string, Domination[]>;
  best: { clean: Leader | null; robust: Leader | null; fastest: Leader | null };
  pick: { activation: string; rule: string; scores: Record<string, number> } | null;
  preference?: Preference;
}

export interface Leader {
  activation: string;
  mean: number;
  /** activations not different from the leader beyond noise (Welch two-sided p > alpha); tested runs only */
  withinNoise: string[];
}

const mean = (xs: number[]) => (xs.length ? meanStd(xs).mean : NaN);

/**
 * Rows from the evaluation runs and bench records: bench records join runs by model hash; the throughput
 * is at the largest benchmarked batch, the latency p50 at batch 1, memory the peak RSS of the model's fresh
 * process (bench records since issue 12; older records: the session's RSS growth in a shared process, the
 * largest over batch sizes); `paramsOf` gives a model's parameter count (null when unknown: then the bench
 * record's count of the exported model's initializers).
 */
export function decisionRows(runs: ModelRun[], bench: BenchRecord[], o: { baseline?: string; paramsOf?: (model: string) => number | null } = {}): DecisionRow[] {
  const groups = new Map<string, ModelRun[]>();
  for (const r of runs) groups.set(r.activation, [...(groups.get(r.activation) ?? []), r]);
  // the baseline is the cell-wise mean over its seeds, as in the report's CE table
  const baseRuns = o.baseline ? groups.get(o.baseline) : undefined;
  const base = baseRuns ? { eval: meanEval(baseRuns.map((r) => r.eval)) } : undefined;
  const big = bench.length ? Math.max(...bench.map((b) => b.batch)) : 0;
  return [...groups.entries()].map(([activation, rs]) => {
    const row: DecisionRow = { activation, seeds: rs.length, clean: [], robust: [], total19: [], mce: [], throughput: [], latency: [], memory: [], params: [] };
    for (const r of rs) {
      if (r.agg.clean) row.clean.push(r.agg.clean.top1);
      if (r.agg.mean15 !== null) row.robust.push(r.agg.mean15);
      if (r.agg.total19 !== null) row.total19.push(r.agg.total19);
      if (base) {
        const m = corruptionErrors(r.eval, base.eval, o.baseline).mCE;
        if (m !== null) row.mce.push(m);
      }
      const bs = bench.filter((b) => b.modelHash === r.modelHash);
      const at = (n: number) => bs.filter((b) => b.batch === n);
      if (at(big).length) row.throughput.push(mean(at(big).map((b) => b.imagesPerSecond)));
      if (at(1).length) row.latency.push(mean(at(1).map((b) => b.latencyMs.p50)));
      if (bs.length) row.memory.push(Math.max(...bs.map((b) => b.peakRssMiB ?? b.rssMiB)));
      const p = o.paramsOf?.(r.model) ?? bs.find((b) => b.parameters !== undefined)?.parameters ?? null;
      if (p !== null) row.params.push(p);
    }
    return row;
  });
}

/** The parameter count from the training manifest next to an exported model (models/<run>/manifest.json). */
export function manifestParams(model: string): number | null {
  const file = join(dirname(model), 'manifest.json');
  if (!existsSync(file)) return null;
  try {
    const p = (JSON.parse(readFileSync(file, 'utf8')) as { params?: unknown }).params;
    return typeof p === 'number' && Number.isFinite(p) ? p : null;
  } catch {
    return null;
  }
}

const axisValues = (r: DecisionRow, a: Axis) => (a === 'clean' ? r.clean : a === 'robust' ? r.robust : r.latency);
/** Oriented so that larger is better on every axis. */
const gain = (a: Axis, x: number) => (a === 'latency' ? -x : x);

/** Is `a` better than `b` on `axis` beyond noise (Welch one-sided p ≤ alpha)? */
function beyondNoise(a: DecisionRow, b: DecisionRow, axis: Axis, alpha: number): boolean {
  const [xa, xb] = [axisValues(a, axis).map((x) => gain(axis, x)), axisValues(b, axis).map((x) => gain(axis, x))];
  return welchTTest(xa, xb).pGreater <= alpha;
}

/** The means of `a` dominate those of `b`: at least as good on every axis and strictly better on one. */
function meansDominate(a: DecisionRow, b: DecisionRow, axes: readonly Axis[]): boolean {
  let strict = false;
  for (const key of axes) {
    const [ma, mb] = [gain(key, mean(axisValues(a, key))), gain(key, mean(axisValues(b, key)))];
    if (ma < mb) return false;
    if (ma > mb) strict = true;
  }
  return strict;
}

function leader(rows: DecisionRow[], axis: Axis, tested: boolean, alpha: number): Leader | null {
  const have = rows.filter((r) => axisValues(r, axis).length > 0);
  if (have.length === 0 || have.length < rows.length) return null;
  const best = [...have].sort((p, q) => gain(axis, mean(axisValues(q, axis))) - gain(axis, mean(axisValues(p, axis))))[0];
  const within = tested ? have.filter((r) => r !== best && !(welchTTest(axisValues(r, axis), axisValues(best, axis)).p <= alpha)).map((r) => r.activation) : [];
  return { activation: best.activation, mean: mean(axisValues(best, axis)), withinNoise: within };
}

/** Min–max scaled to [0, 1] over the activations, 1 = best (all equal: 1 for everyone). */
function scaled(rows: DecisionRow[], axis: Axis): Map<string, number> {
  const ms = rows.map((r) => gain(axis, mean(axisValues(r, axis))));
  const [lo, hi] = [Math.min(...ms), Math.max(...ms)];
  return new Map(rows.map((r, k) => [r.activation, hi === lo ? 1 : (ms[k] - lo) / (hi - lo)]));
}

function pickFor(rows: DecisionRow[], pref: Preference): Decision['pick'] {
  const weights: Record<Axis, number> = pref.kind === 'prefer'
    ? { clean: pref.axis === 'clean' ? 1 : 0, robust: pref.axis === 'robust' ? 1 : 0, latency: pref.axis === 'speed' ? 1 : 0 }
    : { clean: pref.weights.clean ?? 0, robust: pref.weights.robust ?? 0, latency: pref.weights.latency ?? 0 };
  const used = AXES.filter((a) => weights[a.key] > 0);
  const lacking = used.filter((a) => rows.some((r) => axisValues(r, a.key).length === 0));
  if (lacking.length) return null;
  const total = used.reduce((s, a) => s + weights[a.key], 0);
  const sc = used.map((a) => ({ a: a.key, w: weights[a.key] / total, s: scaled(rows, a.key) }));
  const scores: Record<string, number> = {};
  for (const r of rows) scores[r.activation] = sc.reduce((s, x) => s + x.w * (x.s.get(r.activation) as number), 0);
  // ties broken by the other axes in the order clean, robust, latency (means), then by name
  const order = [...rows].sort((p, q) => scores[q.activation] - scores[p.activation] ||
    AXES.reduce((d, a) => d || gain(a.key, mean(axisValues(q, a.key))) - gain(a.key, mean(axisValues(p, a.key))), 0) || p.activation.localeCompare(q.activation));
  const rule = pref.kind === 'prefer'
    ? `--prefer ${pref.axis}: the highest mean ${pref.axis === 'speed' ? 'speed (lowest latency p50 at batch 1)' : pref.axis === 'clean' ? 'clean top-1' : 'corruption top-1 (mean of 15)'}`
    : `--weights ${used.map((a) => `${a.key}=${weights[a.key]}`).join(',')}: score = Σ w·s / Σ w over ${used.map((a) => a.key).join(', ')}, each axis's means min–max scaled over the ${rows.length} activations to [0, 1] (1 = best; latency: lower is better)`;
  return { activation: order[0].activation, rule, scores };
}

export function decide(rows: DecisionRow[], o: DecisionOptions = {}): Decision {
  const alpha = o.alpha ?? 0.05;
  const axes = o.axes ?? AXES.map((a) => a.key);
  const tested = rows.length > 0 && rows.every((r) => r.seeds >= 2 && axes.every((a) => axisValues(r, a).length >= 2));
  const missing: string[] = [];
  for (const a of AXES.filter((x) => axes.includes(x.key))) {
    const lack = rows.filter((r) => axisValues(r, a.key).length === 0).map((r) => r.activation);
    if (!lack.length) continue;
    const why = a.key === 'latency' ? 'no bench record at batch 1 (run actbench bench with --batches including 1 into the same results store)'
      : a.key === 'robust' ? 'not all 15 common corruptions evaluated'
      : 'no clean evaluation';
    missing.push(`${a.key} (${a.title}): ${why} for ${lack.join(', ')}`);
  }
  const dominatedBy: Record<string, Domination[]> = {};
  for (const r of rows) dominatedBy[r.activation] = [];
  let front: string[] | null = null;
  if (missing.length === 0) {
    for (const b of rows) {
      for (const a of rows) {
        if (a === b || !meansDominate(a, b, axes)) continue;
        const counts = !tested || axes.some((key) => beyondNoise(a, b, key, alpha));
        dominatedBy[b.activation].push({ by: a.activation, withinNoise: !counts });
      }
    }
    front = rows.filter((r) => dominatedBy[r.activation].every((d) => d.withinNoise)).map((r) => r.activation);
  }
  const best = { clean: leader(rows, 'clean', tested, alpha), robust: leader(rows, 'robust', tested, alpha), fastest: leader(rows, 'latency', tested, alpha) };
  return { rows, alpha, tested, missing, front, dominatedBy, best, pick: o.preference ? pickFor(rows, o.preference) : null, preference: o.preference };
}

/** `--weights clean=1,robust=2,latency=0.5` → weights (each ≥ 0, at least one > 0, names from the three axes). */
export function checkWeights(w: Record<string, number>, field = '--weights'): Partial<Record<'clean' | 'robust' | 'latency', number>> {
  const names = ['clean', 'robust', 'latency'];
  for (const [k, v] of Object.entries(w)) {
    if (!names.includes(k)) throw new ActbenchError('REPORT_BAD_WEIGHTS', `${field}: '${k}' is not an axis; expected names from clean, robust, latency`, { field, exit: 2 });
    if (!(v >= 0) || !Number.isFinite(v)) throw new ActbenchError('REPORT_BAD_WEIGHTS', `${field}: ${k}=${v} must be a finite number ≥ 0`, { field, exit: 2 });
  }
  if (!Object.values(w).some((v) => v > 0)) throw new ActbenchError('REPORT_BAD_WEIGHTS', `${field}: at least one weight must be > 0`, { field, exit: 2 });
  return w as Partial<Record<'clean' | 'robust' | 'latency', number>>;
}

// ── markdown ──

const pct = (xs: number[], d = 2) => fmt(xs.map((x) => 100 * x), d);
function fmt(xs: number[], d: number): string {
  if (!xs.length) return '–';
  const m = meanStd(xs);
  return xs.length > 1 ? `${m.mean.toFixed(d)} ± ${m.std.toFixed(d)}` : m.mean.toFixed(d);
}

function status(d: Decision, act: string): string {
  if (d.front === null) return '–';
  const doms = d.dominatedBy[act];
  const counting = doms.filter((x) => !x.withinNoise).map((x) => x.by);
  const noise = doms.filter((x) => x.withinNoise).map((x) => x.by);
  if (counting.length) return `dominated by ${counting.join(', ')}`;
  return noise.length ? `**Pareto** (dominated by ${noise.join(', ')} only within noise)` : '**Pareto**';
}

export interface DecisionMarkdownOptions {
  baseline?: string;
  /** the benchmark's largest batch (the throughput column) */
  batch?: number;
  /** the Pareto figure, relative to the markdown */
  figure?: string;
  /** what the memory column holds: the fresh-process peak (default) or, for older records, shared-process RSS growth */
  memory?: 'peak' | 'growth';
}

export function decisionMarkdown(d: Decision, o: DecisionMarkdownOptions = {}): string {
  const memoryLabel = o.memory === 'growth' ? 'RSS growth MiB' : 'peak memory MiB';
  const header = ['activation', 'seeds', 'clean top-1 %', 'corruption top-1 % (mean of 15)', 'Total (19) %', `mCE %${o.baseline ? ` vs ${o.baseline}` : ''}`,
    `throughput img/s${o.batch ? ` (batch ${o.batch})` : ''}`, 'latency p50 ms (batch 1)', memoryLabel, 'parameters', 'Pareto set'];
  const rows = d.rows.map((r) => [r.activation + (r.activation === o.baseline ? ' (baseline)' : ''), String(r.seeds), pct(r.clean), pct(r.robust), pct(r.total19), pct(r.mce, 1),
    fmt(r.throughput, 0), fmt(r.latency, 3), fmt(r.memory, 1), r.params.length ? Math.round(mean(r.params)).toLocaleString('en') : '–', status(d, r.activation)]);
  const out = ['## Decision: accuracy, robustness and speed', '',
    `| ${header.join(' | ')} |`, `|${header.map((_, k) => (k === 0 || k === header.length - 1 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
  if (d.front === null) {
    out.push(`**No Pareto set**: it needs all three axes for every activation, and some are missing — ${d.missing.join('; ')}.`, '');
  } else {
    const rule = d.tested
      ? `A dominates B when A's means are at least as good as B's on clean top-1, corruption top-1 (mean of 15) and latency p50 at batch 1, strictly better on one, and better beyond noise on at least one (Welch's one-sided t-test across seeds, p ≤ ${d.alpha}); a domination of the means without that is "within noise" and does not remove B from the set.`
      : `**Indicative**: ${d.rows.every((r) => r.seeds < 2) ? 'one seed per activation' : d.rows.some((r) => r.seeds < 2) ? 'some activations have a single seed' : 'too few values per axis'}, so no difference can be told from noise; A dominates B when its means are at least as good on clean top-1, corruption top-1 (mean of 15) and latency p50 at batch 1, and strictly better on one. Train several seeds (--seeds) to test dominations.`;
    out.push(`Pareto set over (clean ↑, corruption ↑, latency ↓): ${d.front.join(', ')}. ${rule}`, '');
  }
  const noise = (l: Leader) => (l.withinNoise.length ? ` (not different beyond noise: ${l.withinNoise.join(', ')})` : '');
  const b = d.best;
  out.push(`- Best clean: ${b.clean ? `${b.clean.activation}, ${(100 * b.clean.mean).toFixed(2)} % top-1${noise(b.clean)}` : 'unknown (no clean evaluation for every activation)'}.`);
  out.push(`- Most robust: ${b.robust ? `${b.robust.activation}, ${(100 * b.robust.mean).toFixed(2)} % top-1 over the 15 corruptions${noise(b.robust)}` : 'unknown (not all 15 corruptions evaluated for every activation)'}.`);
  out.push(`- Fastest: ${b.fastest ? `${b.fastest.activation}, latency p50 ${b.fastest.mean.toFixed(3)} ms at batch 1${noise(b.fastest)}` : 'unknown (no bench record at batch 1 for every activation)'}.`);
  if (d.pick) out.push(`- For the stated trade-off (${d.pick.rule}): **${d.pick.activation}** (scores: ${Object.entries(d.pick.scores).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}).`);
  else if (d.preference) out.push(`- The stated trade-off (${d.preference.kind === 'prefer' ? `--prefer ${d.preference.axis}` : '--weights'}) cannot be decided: an axis it weighs is missing for some activation (${d.missing.join('; ')}).`);
  else out.push('- No trade-off given: `--prefer robust|clean|speed` or `--weights clean=…,robust=…,latency=…` names the best activation for it.');
  out.push('');
  const memoryNote = o.memory === 'growth'
    ? 'RSS growth is the resident memory added by creating and running the session in a process shared by all models (largest over batch sizes)'
    : 'peak memory is the peak RSS of a fresh process that creates the session and runs the largest batch (Node and onnxruntime included)';
  out.push(`Mean ± sample std across seeds. mCE per seed against the baseline's cell-wise mean over its seeds (as in the CE table); ${memoryNote}; parameters from each run's manifest.json.`, '');
  if (o.figure && d.rows.length) out.push(`![Pareto: clean vs corruption accuracy, latency as size](${o.figure})`, '');
  return out.join('\n');
}
