/** `actbench report`: markdown reports in reports/ (and a terminal table) from training runs or a results store. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { searchReport, type SearchOptions } from '../api/search.js';
import { modelDiagnostics } from '../analyze/report.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError, fsError } from '../errors.js';
import { categoryPlot, collectRuns, mainTable, robustnessMarkdown, severityPlot } from '../report/robustness.js';
import { readRuns, runsMarkdown } from '../report/runs.js';
import { ResultsStore, type BenchRecord } from '../results/store.js';
import { loadState, type Evaluation } from '../search/evolution.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertDisjoint, type NamedPath } from '../util/paths.js';
import { table } from './output.js';
import { choice, numberMap } from './parse-flags.js';
import { checkWeights, type Preference } from '../report/decision.js';
import { decisionView, PARETO_FILE, studyFigures } from '../report/decision-view.js';
import { writeReportHtml } from '../report/html.js';

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

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('render results as markdown in reports/: a results store (eval + bench) or training runs')
    .option('--results <file>', 'results store written by eval / bench / study', 'reports/results.jsonl')
    .addOption(new Option('--runs <dirs...>', 'training run directories (models/<name>) to tabulate instead').conflicts(['search', 'dataset', 'baseline', 'html', 'prefer', 'weights']))
    .addOption(new Option('--search <dir>', 'a search directory (actbench search) to render instead').conflicts(['dataset', 'baseline', 'out', 'title', 'command', 'prefer', 'weights']))
    .option('--dataset <key>', 'only the eval records of this dataset key (required when the store holds several)')
    .option('--baseline <activation>', 'baseline for significance marks and CE/mCE', 'relu')
    .option('--title <text>', 'report title')
    .option('--out <file>', 'output markdown (default: report.md next to the results, or reports/runs.md)')
    .option('--command <line...>', 'commands that reproduce the results, listed in the report')
    .option('--html', 'also write report.html beside report.md: one self-contained interactive page (no network)')
    .addOption(new Option('--prefer <axis>', 'name the best activation for this axis in the decision section: robust | clean | speed').argParser(choice('--prefer', ['robust', 'clean', 'speed'] as const)).conflicts('weights'))
    .option('--weights <pairs>', 'name the best activation for a weighted trade-off: clean=…,robust=…,latency=…', numberMap('--weights'));
  cmd.action(async (f: { results: string; runs?: string[]; search?: string; dataset?: string; baseline: string; title?: string; out?: string; command?: string[]; html?: boolean; prefer?: 'robust' | 'clean' | 'speed'; weights?: Record<string, number> }) => {
    const preference: Preference | undefined = f.prefer ? { kind: 'prefer', axis: f.prefer } : f.weights ? { kind: 'weights', weights: checkWeights(f.weights) } : undefined;
    if (f.search) {
      const dir = f.search;
      const cfg = readJson<SearchOptions>(join(dir, 'search.json'), 'a search directory holds search.json (written by actbench search)');
      const baseline = readJson<Evaluation>(join(dir, 'baseline-relu.json'), 'the search has not evaluated its baseline yet');
      console.log(`wrote ${await searchReport(dir, loadState(join(dir, 'state.json')), baseline, cfg, { html: f.html })}`);
      return;
    }
    if (f.runs) {
      const out = f.out ?? 'reports/runs.md';
      guardOutputs([out], f.runs.map((d) => ({ path: d, what: 'run directory' })));
      writeFileAtomic(out, runsMarkdown(readRuns(f.runs), f.title ?? 'Training runs', f.command ?? []));
      console.log(`wrote ${out}`);
      return;
    }
    const out = f.out ?? join(dirname(f.results), 'report.md');
    const plots = [join(dirname(out), 'severity.svg'), join(dirname(out), 'categories.svg'), join(dirname(out), PARETO_FILE), join(dirname(out), 'report.html')];
    guardOutputs([out, ...plots], [{ path: f.results, what: 'results store' }]);
    if (!existsSync(f.results)) throw new ActbenchError('REPORT_MISSING_INPUT', `${f.results} not found: run actbench eval (or study) first, or pass --results`, { file: f.results, field: '--results' });
    const records = new ResultsStore(f.results).read();
    const datasets = [...new Set(records.filter((r) => r.kind === 'eval').map((r) => (r.kind === 'eval' ? r.dataset : '')))];
    if (f.dataset === undefined && datasets.length > 1) {
      throw new ActbenchError('REPORT_MANY_DATASETS', `${f.results} holds results on ${datasets.length} different image sets; choose one with --dataset: ${datasets.map((d) => `'${d}'`).join(', ')}`, { file: f.results, field: '--dataset' });
    }
    const runs = collectRuns(records, f.dataset);
    if (runs.length === 0) {
      throw new ActbenchError('REPORT_EMPTY', `${f.results} holds no evaluation results${f.dataset ? ` for ${f.dataset} (it has ${datasets.map((d) => `'${d}'`).join(', ') || 'none'})` : ''}`, { file: f.results, field: f.dataset ? '--dataset' : undefined });
    }
    const hasBase = runs.some((r) => r.activation === f.baseline);
    if (!hasBase && cmd.getOptionValueSource('baseline') === 'cli') {
      throw new ActbenchError('REPORT_NO_BASELINE', `--baseline ${f.baseline}: no model in ${f.results} has that activation (found ${[...new Set(runs.map((r) => r.activation))].join(', ')})`, { file: f.results, field: '--baseline' });
    }
    const base = hasBase ? f.baseline : undefined;
    const bench = records.filter((r): r is BenchRecord => r.kind === 'bench');
    // the decision section whenever the store holds speed records too (it says what is missing for a front)
    const decision = bench.length ? await decisionView(runs, bench, { baseline: base, preference }) : null;
    const md = robustnessMarkdown({ decision: decision?.markdown,
      title: f.title ?? 'actbench results', intro: [`From ${f.results}.`], runs, bench: records.filter((r): r is BenchRecord => r.kind === 'bench'),
      baseline: base, plots: { severity: 'severity.svg', categories: 'categories.svg' }, reproduce: f.command ?? [], machine: machineLine(machineInfo()),
    });
    const [sev, cat] = [await severityPlot(runs), await categoryPlot(runs)];
    writeFileAtomic(plots[0], sev);
    writeFileAtomic(plots[1], cat);
    if (decision) writeFileAtomic(plots[2], decision.paretoSvg);
    // models analysed with `actbench analyze` add their diagnostics
    const diagnostics = modelDiagnostics(runs.map((r) => ({ model: r.model, label: `${r.activation}${r.seed === undefined ? '' : ` seed ${r.seed}`}` })));
    const full = diagnostics.length ? `${md.trimEnd()}\n\n${diagnostics.join('\n')}` : md;
    writeFileAtomic(out, full);
    if (f.html) console.log(`wrote ${writeReportHtml(out, full, studyFigures(runs, decision?.paretoSpec))}`);
    const { header, rows } = mainTable(runs, base);
    const t = table(header);
    rows.forEach((r) => t.push(r));
    console.log(t.toString());
    console.log(`wrote ${out}`);
  });
}
