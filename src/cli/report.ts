/** `actbench report`: markdown reports in reports/ (and a terminal table) from training runs or a results store. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { searchReport, type SearchOptions } from '../api/search.js';
import { loadState, type Evaluation } from '../search/evolution.js';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { machineInfo, machineLine } from '../bench/machine.js';
import { categoryPlot, collectRuns, mainTable, robustnessMarkdown, severityPlot } from '../report/robustness.js';
import { readRuns, runsMarkdown } from '../report/runs.js';
import { ResultsStore, type BenchRecord } from '../results/store.js';
import { writeFileAtomic } from '../util/atomic.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render results as markdown in reports/: a results store (eval + bench) or training runs')
    .option('--results <file>', 'results store written by eval / bench / study', 'reports/results.jsonl')
    .option('--runs <dirs...>', 'training run directories (models/<name>) to tabulate instead')
    .option('--search <dir>', 'a search directory (actbench search) to render instead')
    .option('--dataset <key>', 'only the eval records of this dataset key')
    .option('--baseline <activation>', 'baseline for significance marks and CE/mCE', 'relu')
    .option('--title <text>', 'report title')
    .option('--out <file>', 'output markdown (default: report.md next to the results, or reports/runs.md)')
    .option('--command <line...>', 'commands that reproduce the results, listed in the report')
    .action(async (f: { results: string; runs?: string[]; search?: string; dataset?: string; baseline: string; title?: string; out?: string; command?: string[] }) => {
      if (f.search) {
        const dir = f.search;
        const cfg = JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')) as SearchOptions;
        const baseline = JSON.parse(readFileSync(join(dir, 'baseline-relu.json'), 'utf8')) as Evaluation;
        console.log(`wrote ${await searchReport(dir, loadState(join(dir, 'state.json')), baseline, cfg)}`);
        return;
      }
      if (f.runs) {
        const out = f.out ?? 'reports/runs.md';
        writeFileAtomic(out, runsMarkdown(readRuns(f.runs), f.title ?? 'Training runs', f.command ?? []));
        console.log(`wrote ${out}`);
        return;
      }
      const records = new ResultsStore(f.results).read();
      const runs = collectRuns(records, f.dataset);
      if (runs.length === 0) throw new Error(`${f.results} holds no evaluation results${f.dataset ? ` for ${f.dataset}` : ''}`);
      const out = f.out ?? join(dirname(f.results), 'report.md');
      const base = runs.some((r) => r.activation === f.baseline) ? f.baseline : undefined;
      writeFileAtomic(join(dirname(out), 'severity.svg'), await severityPlot(runs));
      writeFileAtomic(join(dirname(out), 'categories.svg'), await categoryPlot(runs));
      writeFileAtomic(out, robustnessMarkdown({
        title: f.title ?? 'actbench results', intro: [`From ${f.results}.`], runs, bench: records.filter((r): r is BenchRecord => r.kind === 'bench'),
        baseline: base, plots: { severity: 'severity.svg', categories: 'categories.svg' }, reproduce: f.command ?? [], machine: machineLine(machineInfo()),
      }));
      const { header, rows } = mainTable(runs, base);
      const t = new Table({ head: header });
      rows.forEach((r) => t.push(r));
      console.log(t.toString());
      console.log(`wrote ${out}`);
    });
}
