/**
 * `actbench report` as library calls: the markdown report of a results store (tables, SVG plots, the
 * decision section, report.html), of training runs, or of a search directory; and the results as data
 * (JSON, or CSV in RobustBench's shape, src/report/csv.ts) for scripts. Every output is checked against the
 * inputs before anything is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { modelDiagnostics } from '../analyze/report.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError, fsError } from '../errors.js';
import { csvRows, runRecords, toCsv, type CsvRow } from '../report/csv.js';
import { decisionView, PARETO_FILE, studyFigures } from '../report/decision-view.js';
import type { Preference } from '../report/decision.js';
import { writeReportHtml } from '../report/html.js';
import { categoryPlot, collectRuns, mainTable, robustnessMarkdown, severityPlot, type ModelRun } from '../report/robustness.js';
import { readRuns, runsMarkdown } from '../report/runs.js';
import { ResultsStore, type BenchRecord, type EvalRecord, type ResultRecord } from '../results/store.js';
import { loadState, type Evaluation } from '../search/evolution.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertDisjoint, type NamedPath } from '../util/paths.js';
import { searchReport, type SearchOptions } from './search.js';

/** The baseline activation when none is asked for (used only when some model has it). */
export const DEFAULT_BASELINE = 'relu';

export interface ResultsSelection {
  /** the results store (JSON lines) */
  results: string;
  /** only the eval records of this dataset key (required when the store holds several) */
  dataset?: string;
  /** the baseline activation for significance marks and CE/mCE; given, it must exist (default relu, if present) */
  baseline?: string;
}

export interface LoadedResults {
  results: string;
  /** every record of the store, as read */
  records: ResultRecord[];
  /** the models evaluated on the chosen dataset */
  runs: ModelRun[];
  bench: BenchRecord[];
  /** the baseline activation in use, if some model has it */
  baseline: string | undefined;
}

export interface ResultsReportOptions extends ResultsSelection {
  title?: string;
  /** the markdown file (default report.md next to the results); the SVGs and report.html go beside it */
  out?: string;
  /** commands that reproduce the results, listed in the report */
  command?: string[];
  html?: boolean;
  preference?: Preference;
}

export interface ResultsReport {
  /** the files written: the markdown first */
  files: string[];
  runs: ModelRun[];
  baseline: string | undefined;
  /** the accuracy table of the terminal (and of the markdown) */
  table: { header: string[]; rows: string[][] };
}

/** Per model: what the report's tables are made of. */
export interface ModelSummary {
  model: string;
  modelHash: string;
  activation: string;
  seed: number | null;
  dataset: string;
  provider: string;
  aggregates: ModelRun['agg'];
  /** TF.js vs ONNX top-1 agreement over the corrupted cells, when measured */
  fidelity: number | null;
  nonFinite: number;
  predictions: number;
}

/** `actbench report --json`: the summaries, the eval records they come from (as stored) and the speed records. */
export interface ResultsData {
  results: string;
  baseline: string | null;
  models: ModelSummary[];
  /** per model, the first stored record of each cell (the ones the numbers use), clean first */
  records: EvalRecord[];
  bench: BenchRecord[];
}

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new ActbenchError('REPORT_MISSING_INPUT', `${file} not found: ${what}`, { file });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ActbenchError('REPORT_BAD_INPUT', `${file} is not valid JSON (${(e as Error).message}): ${what}`, { file });
  }
}

/** Every file a report writes, refused when it is, is inside or contains one of the report's inputs. */
function guardOutputs(outputs: string[], inputs: NamedPath[]): void {
  for (const out of outputs) assertDisjoint({ path: out, what: '--out' }, inputs);
}

/** Read the store and choose the dataset and baseline, refusing what a report cannot be made of. */
export function loadResults(o: ResultsSelection): LoadedResults {
  if (!existsSync(o.results)) throw new ActbenchError('REPORT_MISSING_INPUT', `${o.results} not found: run actbench eval (or study) first, or pass --results`, { file: o.results, field: '--results' });
  const records = new ResultsStore(o.results).read();
  const datasets = [...new Set(records.filter((r): r is EvalRecord => r.kind === 'eval').map((r) => r.dataset))];
  if (o.dataset === undefined && datasets.length > 1) {
    throw new ActbenchError('REPORT_MANY_DATASETS', `${o.results} holds results on ${datasets.length} different image sets; choose one with --dataset: ${datasets.map((d) => `'${d}'`).join(', ')}`, { file: o.results, field: '--dataset' });
  }
  const runs = collectRuns(records, o.dataset);
  if (runs.length === 0) {
    throw new ActbenchError('REPORT_EMPTY', `${o.results} holds no evaluation results${o.dataset ? ` for ${o.dataset} (it has ${datasets.map((d) => `'${d}'`).join(', ') || 'none'})` : ''}`, { file: o.results, field: o.dataset ? '--dataset' : undefined });
  }
  const wanted = o.baseline ?? DEFAULT_BASELINE;
  const hasBase = runs.some((r) => r.activation === wanted);
  if (!hasBase && o.baseline !== undefined) {
    throw new ActbenchError('REPORT_NO_BASELINE', `--baseline ${o.baseline}: no model in ${o.results} has that activation (found ${[...new Set(runs.map((r) => r.activation))].join(', ')})`, { file: o.results, field: '--baseline' });
  }
  return { results: o.results, records, runs, bench: records.filter((r): r is BenchRecord => r.kind === 'bench'), baseline: hasBase ? wanted : undefined };
}

/** The markdown report of a results store, its SVG plots, and report.html with `html`. */
export async function reportResults(o: ResultsReportOptions): Promise<ResultsReport> {
  const out = o.out ?? join(dirname(o.results), 'report.md');
  const plots = [join(dirname(out), 'severity.svg'), join(dirname(out), 'categories.svg'), join(dirname(out), PARETO_FILE), join(dirname(out), 'report.html')];
  guardOutputs([out, ...plots], [{ path: o.results, what: 'results store' }]);
  const { runs, bench, baseline } = loadResults(o);
  // the decision section whenever the store holds speed records too (it says what is missing for a front)
  const decision = bench.length ? await decisionView(runs, bench, { baseline, preference: o.preference }) : null;
  const md = robustnessMarkdown({
    decision: decision?.markdown,
    title: o.title ?? 'actbench results', intro: [`From ${o.results}.`], runs, bench,
    baseline, plots: { severity: 'severity.svg', categories: 'categories.svg' }, reproduce: o.command ?? [], machine: machineLine(machineInfo()),
  });
  const [sev, cat] = [await severityPlot(runs), await categoryPlot(runs)];
  writeFileAtomic(plots[0], sev);
  writeFileAtomic(plots[1], cat);
  if (decision) writeFileAtomic(plots[2], decision.paretoSvg);
  // models analysed with `actbench analyze` add their diagnostics
  const diagnostics = modelDiagnostics(runs.map((r) => ({ model: r.model, label: `${r.activation}${r.seed === undefined ? '' : ` seed ${r.seed}`}` })));
  const full = diagnostics.length ? `${md.trimEnd()}\n\n${diagnostics.join('\n')}` : md;
  writeFileAtomic(out, full);
  const files = [out, plots[0], plots[1], ...(decision ? [plots[2]] : [])];
  if (o.html) files.push(writeReportHtml(out, full, studyFigures(runs, decision?.paretoSpec)));
  return { files, runs, baseline, table: mainTable(runs, baseline) };
}

/** The results as data (`report --json`); writes nothing. */
export function resultsData(l: LoadedResults): ResultsData {
  const evals = l.records.filter((r): r is EvalRecord => r.kind === 'eval');
  return {
    results: l.results,
    baseline: l.baseline ?? null,
    models: l.runs.map((r) => ({
      model: r.model, modelHash: r.modelHash, activation: r.activation, seed: r.seed ?? null, dataset: r.dataset, provider: r.provider,
      aggregates: r.agg, fidelity: r.fidelity, nonFinite: r.nonFinite, predictions: r.predictions,
    })),
    records: runRecords(evals, l.runs).flat(),
    bench: l.bench,
  };
}

/** The eval cells as RobustBench-shaped rows (`report --csv`); writes nothing. */
export function resultsCsv(l: LoadedResults): { rows: CsvRow[]; csv: string } {
  const rows = csvRows(l.records.filter((r): r is EvalRecord => r.kind === 'eval'), l.runs);
  return { rows, csv: toCsv(rows) };
}

/** Markdown for training run directories (default reports/runs.md); returns the file written. */
export function reportRuns(dirs: string[], o: { out?: string; title?: string; command?: string[] } = {}): string {
  const out = o.out ?? 'reports/runs.md';
  guardOutputs([out], dirs.map((d) => ({ path: d, what: 'run directory' })));
  writeFileAtomic(out, runsMarkdown(readRuns(dirs), o.title ?? 'Training runs', o.command ?? []));
  return out;
}

/** The report of a search directory (actbench search); returns the file written. */
export async function reportSearchDir(dir: string, o: { html?: boolean } = {}): Promise<string> {
  const cfg = readJson<SearchOptions>(join(dir, 'search.json'), 'a search directory holds search.json (written by actbench search)');
  const baseline = readJson<Evaluation>(join(dir, 'baseline-relu.json'), 'the search has not evaluated its baseline yet');
  return searchReport(dir, loadState(join(dir, 'state.json')), baseline, cfg, { html: o.html });
}
