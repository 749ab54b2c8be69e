/**
 * The study report: from the results store to markdown with the tables of the papers — LayerAct's
 * Clean | Total | Noise | Blur | Digital | Weather | Extra, the 15-corruption mean and severity-5-only means,
 * per-corruption and per-severity tables, CE/mCE against a baseline activation, a speed/memory table after
 * the VeLU paper — mean ± std across seeds with Welch's t-test (and Wilcoxon over corruptions) against the
 * baseline, and SVG plots.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { CORRUPTIONS, type CorruptionName } from '../corrupt/presets.js';
import { aggregate, corruptionErrors, LAYERACT_CATEGORIES, meanEval, type Aggregates, type ModelEval } from '../eval/metrics.js';
import { meanStd, significance, welchTTest, wilcoxonSignedRank } from '../eval/stats.js';
import { byActivation, categoryValues, MEAN_OPTION, severityValues } from './figures.js';
import type { BenchRecord, EvalRecord, ResultRecord } from '../results/store.js';

export interface ModelRun {
  activation: string;
  seed: number | undefined;
  modelHash: string;
  model: string;
  /** the dataset key (the images) of these cells */
  dataset: string;
  eval: ModelEval;
  agg: Aggregates;
  fidelity: number | null;
  provider: string;
  /** predictions with NaN/±Inf logits over all cells, of `predictions` */
  nonFinite: number;
  predictions: number;
}

/**
 * Group eval records by model (hash) and dataset key, and label each model by its activation. Cells of
 * different datasets (another --limit, another corruption seed) are never mixed into one run.
 */
export function collectRuns(records: ResultRecord[], dataset?: string): ModelRun[] {
  const evals = records.filter((r): r is EvalRecord => r.kind === 'eval' && (dataset === undefined || r.dataset === dataset));
  const byModel = new Map<string, EvalRecord[]>();
  for (const r of evals) {
    const k = `${r.modelHash}\u0000${r.dataset}`;
    const list = byModel.get(k);
    if (list) list.push(r);
    else byModel.set(k, [r]);
  }
  return [...byModel.values()].map((all) => {
    // one record per cell (the first: a rerun skips finished cells, so later ones are duplicates)
    const seen = new Set<string>();
    const rs = all.filter((r) => {
      const k = `${r.corruption ?? 'clean'}/${r.severity ?? '-'}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const clean = rs.find((r) => r.corruption === null);
    const e: ModelEval = {
      clean: clean ? { top1: clean.top1, top5: clean.top5, n: clean.n } : null,
      cells: rs.filter((r) => r.corruption !== null).map((r) => ({ corruption: r.corruption as CorruptionName, severity: r.severity as number, top1: r.top1, top5: r.top5, n: r.n })),
    };
    const fid = rs.filter((r) => r.fidelity !== undefined && r.corruption !== null);
    return {
      activation: rs[0].activation ?? rs[0].model,
      seed: rs[0].seed,
      modelHash: rs[0].modelHash,
      model: rs[0].model,
      dataset: rs[0].dataset,
      eval: e,
      agg: aggregate(e),
      fidelity: fid.length ? fid.reduce((a, r) => a + (r.fidelity as number) * r.n, 0) / fid.reduce((a, r) => a + r.n, 0) : null,
      provider: rs[0].provider,
      nonFinite: rs.reduce((a, r) => a + (r.nonFinite ?? 0), 0),
      predictions: rs.reduce((a, r) => a + r.n, 0),
    };
  });
}

/** Per model: how many predictions were non-finite; `broken` lists the models whose every prediction was. */
export function nonFiniteSummary(records: EvalRecord[]): { lines: string[]; broken: string[] } {
  const lines: string[] = [];
  const broken: string[] = [];
  for (const r of collectRuns(records)) {
    if (r.nonFinite === 0) continue;
    lines.push(`${r.model} (${r.activation}): ${r.nonFinite} of ${r.predictions} predictions had NaN/±Inf logits (counted wrong)`);
    if (r.nonFinite === r.predictions) broken.push(r.model);
  }
  return { lines, broken };
}

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(digits));

interface Column {
  title: string;
  get: (r: ModelRun) => number | null;
}

const COLUMNS: Column[] = [
  { title: 'Clean', get: (r) => r.agg.clean?.top1 ?? null },
  { title: 'Total (19)', get: (r) => r.agg.total19 },
  ...Object.keys(LAYERACT_CATEGORIES).map((k) => ({ title: k, get: (r: ModelRun) => r.agg.categories[k as keyof typeof LAYERACT_CATEGORIES] })),
  { title: 'mean of 15', get: (r) => r.agg.mean15 },
  { title: 'sev. 5 only (15)', get: (r) => r.agg.severity5.mean15 },
];

const groups = byActivation;

/** "mean ± std" with Welch significance marks against the baseline group (one-sided: better than baseline). */
function cell(values: number[], base: number[] | null): string {
  const m = meanStd(values);
  if (values.length === 1) return pct(m.mean);
  let mark = '';
  if (base && base.length > 1 && values !== base) {
    const t = welchTTest(values, base);
    mark = significance(t.pGreater);
  }
  return `${pct(m.mean)} ± ${pct(m.std)}${mark}`;
}

export function mainTable(runs: ModelRun[], baseline?: string): { header: string[]; rows: string[][] } {
  const g = groups(runs);
  const base = baseline ? g.get(baseline) : undefined;
  // predictions with NaN/±Inf logits are counted wrong; the column appears whenever there are any
  const anyNonFinite = runs.some((r) => r.nonFinite > 0);
  const header = ['activation', 'seeds', ...COLUMNS.map((c) => c.title), ...(anyNonFinite ? ['non-finite'] : [])];
  const rows = [...g.entries()].map(([act, rs]) => [
    act + (act === baseline ? ' (baseline)' : ''),
    String(rs.length),
    ...COLUMNS.map((c) => {
      const vals = rs.map(c.get).filter((v): v is number => v !== null);
      const bvals = base ? base.map(c.get).filter((v): v is number => v !== null) : null;
      return vals.length ? cell(vals, bvals && bvals.length ? bvals : null) : '–';
    }),
    ...(anyNonFinite ? [`${rs.reduce((a, r) => a + r.nonFinite, 0)} / ${rs.reduce((a, r) => a + r.predictions, 0)}`] : []),
  ]);
  return { header, rows };
}

const md = (header: string[], rows: string[][], align?: string[]) =>
  [`| ${header.join(' | ')} |`, `|${(align ?? header.map((_, k) => (k === 0 ? '---' : '---:'))).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

async function svg(spec: vl.TopLevelSpec): Promise<string> {
  return new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG();
}

export async function severityPlot(runs: ModelRun[]): Promise<string> {
  // the same seed means as the interactive page's curve (figures.ts), for the mean over corruptions
  const values = severityValues(runs).filter((v) => v.corruption === MEAN_OPTION).map(({ activation, severity, accuracy }) => ({ activation, severity, accuracy }));
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Top-1 accuracy vs severity (mean over corruptions; 0 = clean)',
    width: 420,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'severity', type: 'ordinal', title: 'severity' },
      y: { field: 'accuracy', type: 'quantitative', title: 'top-1 %', scale: { zero: false } },
      color: { field: 'activation', type: 'nominal' },
    },
  });
}

export async function categoryPlot(runs: ModelRun[]): Promise<string> {
  const values = categoryValues(runs).map(({ activation, category, accuracy }) => ({ activation, category, accuracy }));
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Top-1 accuracy per corruption category',
    data: { values },
    mark: 'bar',
    width: { step: 12 },
    height: 220,
    encoding: {
      column: { field: 'category', type: 'nominal', title: null },
      x: { field: 'activation', type: 'nominal', axis: null },
      y: { field: 'accuracy', type: 'quantitative', title: 'top-1 %', scale: { zero: false } },
      color: { field: 'activation', type: 'nominal' },
    },
  });
}

export interface ReportInput {
  title: string;
  intro: string[];
  runs: ModelRun[];
  bench: BenchRecord[];
  baseline?: string;
  trainSeconds?: Record<string, number[]>;
  /** file names of the SVGs, relative to the markdown */
  plots: { severity: string; categories: string; shapes?: string };
  reproduce: string[];
  machine: string;
  /** the decision section (report/decision-view.ts), first after the intro */
  decision?: string;
}

export function robustnessMarkdown(o: ReportInput): string {
  const { header, rows } = mainTable(o.runs, o.baseline);
  const g = groups(o.runs);
  const out: string[] = [`# ${o.title}`, '', ...o.intro, '', ...(o.decision ? [o.decision] : [])];
  out.push('## Accuracy (top-1 %)', '');
  out.push(md(header, rows), '');
  out.push(
    'Total = mean over all 19 corruptions, categories as LayerAct (Noise 3, Blur 4, Digital 4, Weather 4, Extra 4), ' +
      '"mean of 15" = the 15 common corruptions (RobustBench convention); all three average every severity. ' +
      '"sev. 5 only" is the mean over the 15 at severity 5 alone — a different, lower number.' +
      (o.baseline ? ` With several seeds: mean ± sample std, and * / ** / *** where Welch's one-sided t-test finds the mean above the baseline (${o.baseline}) at p ≤ 0.05 / 0.01 / 0.001.` : ''),
    '',
  );
  const nonFinite = o.runs.reduce((a, r) => a + r.nonFinite, 0);
  const predictions = o.runs.reduce((a, r) => a + r.predictions, 0);
  out.push(
    nonFinite === 0
      ? `Non-finite outputs: none of the ${predictions} predictions had a NaN or infinite logit. A prediction counts as correct only when the true class's logit is finite and strictly the largest (ties count as wrong).`
      : `**Non-finite outputs: ${nonFinite} of ${predictions} predictions had a NaN or infinite logit** and were counted wrong (column "non-finite"): ` +
          o.runs.filter((r) => r.nonFinite > 0).map((r) => `${r.activation}${r.seed !== undefined ? ` seed ${r.seed}` : ''} ${r.nonFinite}/${r.predictions}${r.nonFinite === r.predictions ? ' (every prediction: the model is broken)' : ''}`).join('; ') + '.',
    '',
  );
  const datasets = [...new Set(o.runs.map((r) => r.dataset))];
  if (datasets.length) out.push(`Images (results-store key): ${datasets.map((d) => `\`${d}\``).join(', ')}.`, '');
  // per-corruption means
  const corrHeader = ['activation', ...CORRUPTIONS.map((c) => c.replace(/_/g, ' '))];
  const corrRows = [...g.entries()].map(([act, rs]) => [
    act,
    ...CORRUPTIONS.map((c) => {
      const xs = rs.map((r) => r.agg.perCorruption[c]?.top1).filter((v): v is number => v !== undefined);
      return xs.length ? pct(xs.reduce((a, b) => a + b, 0) / xs.length, 1) : '–';
    }),
  ]);
  out.push('### Per corruption (mean over severities)', '', md(corrHeader, corrRows), '');
  // per severity
  const sevRows = [...g.entries()].map(([act, rs]) => [
    act,
    ...[1, 2, 3, 4, 5].map((s) => {
      const xs = rs.flatMap((r) => CORRUPTIONS.map((c) => r.agg.grid[c]?.[s]).filter((v): v is number => v !== undefined));
      return xs.length ? pct(xs.reduce((a, b) => a + b, 0) / xs.length, 2) : '–';
    }),
  ]);
  out.push('### Per severity (mean over the 19 corruptions)', '', md(['activation', 's1', 's2', 's3', 's4', 's5'], sevRows), '');
  out.push(`![accuracy vs severity](${o.plots.severity})`, '', `![accuracy per category](${o.plots.categories})`, '');
  // CE / mCE against the baseline
  if (o.baseline && g.get(o.baseline)) {
    // the baseline is the cell-wise mean over its seeds (one seed would make its own mCE ≠ 100 % and pick a favourite)
    const baseEval = meanEval((g.get(o.baseline) as ModelRun[]).map((r) => r.eval));
    const base = aggregate(baseEval);
    const spread = (xs: number[]) => {
      if (!xs.length) return '–';
      const m = meanStd(xs);
      return xs.length > 1 ? `${pct(m.mean, 1)} ± ${pct(m.std, 1)}` : pct(m.mean, 1);
    };
    const ceRows = [...g.entries()].map(([act, rs]) => {
      const ces = rs.map((r) => corruptionErrors(r.eval, baseEval, o.baseline));
      const mce = ces.map((c) => c.mCE).filter((v): v is number => v !== null);
      const rel = ces.map((c) => c.relativeMCE).filter((v): v is number => v !== null);
      // paired over corruptions: is this activation's per-corruption accuracy (mean over its seeds) different from the baseline's?
      const mine = aggregate(meanEval(rs.map((r) => r.eval)));
      const a = CORRUPTIONS.map((c) => mine.perCorruption[c]?.top1).filter((v): v is number => v !== undefined);
      const b = CORRUPTIONS.map((c) => base.perCorruption[c]?.top1).filter((v): v is number => v !== undefined);
      const w = act === o.baseline || a.length !== b.length ? null : wilcoxonSignedRank(a, b);
      return [act, spread(mce), spread(rel), w ? `${w.p.toFixed(3)}${significance(w.p)}` : '–'];
    });
    out.push(`### Corruption error relative to ${o.baseline}`, '');
    out.push(md(['activation', 'mCE %', 'relative mCE %', 'Wilcoxon p (per-corruption accuracy vs baseline, 19 pairs)'], ceRows), '');
    out.push(`CE_c = Σ_s E_{s,c} / Σ_s E^{${o.baseline}}_{s,c}; mCE = mean over the 15; relative CE subtracts each model's clean error (corruptions.md §7). The baseline's errors are the mean over its seeds; each seed of a model gets its own mCE (mean ± std over seeds); Wilcoxon pairs the seed-mean per-corruption accuracies. AlexNet-normalised mCE applies to ImageNet-C only.`, '');
  }
  // fidelity
  const fid = o.runs.filter((r) => r.fidelity !== null);
  if (fid.length) {
    out.push('### Export fidelity under corruption', '', md(['activation', 'seed', 'TF.js ↔ ONNX top-1 agreement on corrupted images %'], fid.map((r) => [r.activation, String(r.seed ?? '–'), pct(r.fidelity, 3)])), '');
  }
  // speed and memory
  if (o.bench.length) {
    const byAct = new Map<string, BenchRecord[]>();
    for (const b of o.bench) byAct.set(b.activation ?? b.model, [...(byAct.get(b.activation ?? b.model) ?? []), b]);
    const batches = [...new Set(o.bench.map((b) => b.batch))].sort((x, y) => x - y);
    const big = batches[batches.length - 1];
    const peak = o.bench.every((b) => b.peakRssMiB !== undefined);
    const gpu = o.bench.some((b) => b.gpuMemoryMiB !== undefined);
    const sp = [...byAct.entries()].map(([act, bs]) => {
      const at = (n: number) => bs.filter((b) => b.batch === n);
      const one = at(1);
      const fps = at(big).map((b) => b.imagesPerSecond);
      const lat = one.length ? one : at(big);
      const train = o.trainSeconds?.[act];
      const params = bs.find((b) => b.parameters !== undefined)?.parameters;
      const gpuMiB = bs.filter((b) => b.gpuMemoryMiB !== undefined).map((b) => b.gpuMemoryMiB as number);
      return [
        act,
        fps.length ? meanStd(fps).mean.toFixed(0) : '–',
        lat.length ? meanStd(lat.map((b) => b.latencyMs.p50)).mean.toFixed(3) : '–',
        lat.length ? meanStd(lat.map((b) => b.latencyMs.p99)).mean.toFixed(3) : '–',
        // one fresh-process measurement per model: the largest over its records (older records: RSS growth)
        peak ? Math.max(...bs.map((b) => b.peakRssMiB as number)).toFixed(0) : meanStd(bs.map((b) => b.rssMiB)).mean.toFixed(1),
        ...(gpu ? [gpuMiB.length ? Math.max(...gpuMiB).toFixed(0) : '–'] : []),
        params !== undefined ? params.toLocaleString('en') : '–',
        meanStd(bs.map((b) => b.sessionCreateMs)).mean.toFixed(1),
        train ? meanStd(train).mean.toFixed(0) : '–',
      ];
    });
    const p = o.bench[0];
    const latBatch = o.bench.some((b) => b.batch === 1) ? 1 : big;
    const gpuName = o.bench.find((b) => b.gpuName)?.gpuName;
    const gpuNote = o.bench.find((b) => b.gpuMemoryNote)?.gpuMemoryNote;
    out.push('## Speed and memory (deployed, onnxruntime)', '');
    out.push(md(['activation', `FPS (batch ${big})`, `latency p50 ms (batch ${latBatch})`, 'p99 ms', peak ? 'peak memory MiB' : 'RSS growth MiB', ...(gpu ? [`GPU memory MiB${gpuName ? ` (${gpuName})` : ''}`] : []), 'parameters', 'session create ms', 'training s'], sp), '');
    const threads = p.intraOpThreads !== undefined ? `, ${p.intraOpThreads} intra-op thread(s), spinning ${p.spinning === false ? 'off' : 'on'}` : '';
    const memNote = peak
      ? `Peak memory: peak RSS of a fresh process per model that creates the session and runs batch ${big} (Node and onnxruntime's library included${p.baseRssMiB !== undefined ? `, ${p.baseRssMiB.toFixed(0)} MiB before the session` : ''}).`
      : 'RSS growth is the resident memory added by creating and running the session in a process shared by all models (records without a fresh-process measurement).';
    out.push(`Provider ${p.provider}${p.fallbackReason ? ` (requested ${p.requestedProvider}: ${p.fallbackReason})` : ''}, graph optimisation ${p.optLevel}${threads}, onnxruntime ${p.onnxruntime}, ${runsNote(o.bench)}. ${memNote} Parameters: float elements of the exported model's initializers.${gpuNote ? ` GPU memory not read: ${gpuNote}.` : ''}`, '');
  }
  if (o.plots.shapes) out.push('## The activations', '', `![activation shapes](${o.plots.shapes})`, '');
  out.push('## Machine and reproduction', '', `Machine: ${o.machine}.`, '', '```bash', ...o.reproduce, '```', '');
  return out.join('\n');
}

/** How the timings were taken (bench/models.ts benchModels): models alone in turns, and how many runs. */
function runsNote(bench: readonly BenchRecord[]): string {
  const reps = bench.map((b) => b.reps);
  const span = Math.min(...reps) === Math.max(...reps) ? `${reps[0]}` : `${Math.min(...reps)}–${Math.max(...reps)}`;
  return `each model timed alone in its turn (its session open only then, so no other session's threads spin beside it), the order rotated every round; ${bench[0]?.warmup} warm-up and ${span} timed runs per model and batch size (small batches: at least 50 ms of runs per turn)`;
}
