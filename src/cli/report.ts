/** `actbench report`: parse flags, call api/report.ts (markdown from a results store, runs or a search; or the results as JSON / CSV), print. */
import { Option, type Command } from 'commander';
import { loadResults, reportResults, reportRuns, reportSearchDir, resultsCsv, resultsData } from '../api/report.js';
import { checkWeights, type Preference } from '../report/decision.js';
import { table } from './output.js';
import { choice, numberMap } from './parse-flags.js';

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
    .option('--weights <pairs>', 'name the best activation for a weighted trade-off: clean=…,robust=…,latency=…', numberMap('--weights'))
    .addOption(new Option('--json', 'print the results as JSON on stdout (per-model summaries, the eval records used, the bench records); writes no files').conflicts(['runs', 'search', 'out', 'html', 'title', 'command', 'prefer', 'weights', 'csv']))
    .addOption(new Option('--csv', 'print the eval cells as CSV on stdout, one row per model × corruption × severity (RobustBench\'s results, long form; clean rows: corruption clean, severity 0); writes no files').conflicts(['runs', 'search', 'out', 'html', 'title', 'command', 'prefer', 'weights']));
  cmd.action(async (f: { results: string; runs?: string[]; search?: string; dataset?: string; baseline: string; title?: string; out?: string; command?: string[]; html?: boolean; prefer?: 'robust' | 'clean' | 'speed'; weights?: Record<string, number>; json?: boolean; csv?: boolean }) => {
    const preference: Preference | undefined = f.prefer ? { kind: 'prefer', axis: f.prefer } : f.weights ? { kind: 'weights', weights: checkWeights(f.weights) } : undefined;
    if (f.search) {
      console.log(`wrote ${await reportSearchDir(f.search, { html: f.html })}`);
      return;
    }
    if (f.runs) {
      console.log(`wrote ${reportRuns(f.runs, { out: f.out, title: f.title, command: f.command })}`);
      return;
    }
    // the default baseline is used only when some model has it; one asked for must exist
    const selection = { results: f.results, dataset: f.dataset, baseline: cmd.getOptionValueSource('baseline') === 'cli' ? f.baseline : undefined };
    if (f.json || f.csv) {
      const loaded = loadResults(selection);
      console.log(f.csv ? resultsCsv(loaded).csv.replace(/\n$/, '') : JSON.stringify(resultsData(loaded), null, 2));
      return;
    }
    const r = await reportResults({ ...selection, title: f.title, out: f.out, command: f.command, html: f.html, preference });
    if (f.html) console.log(`wrote ${r.files[r.files.length - 1]}`);
    const t = table(r.table.header);
    r.table.rows.forEach((row) => t.push(row));
    console.log(t.toString());
    console.log(`wrote ${r.files[0]}`);
  });
}
