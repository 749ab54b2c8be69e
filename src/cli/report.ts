/** `actbench report`: markdown reports in reports/. */
import type { Command } from 'commander';
import { readRuns, runsMarkdown } from '../report/runs.js';
import { writeFileAtomic } from '../util/atomic.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render results as markdown in reports/')
    .requiredOption('--runs <dirs...>', 'training run directories (models/<name>) to tabulate')
    .option('--title <text>', 'report title', 'Training runs')
    .option('--out <file>', 'output markdown', 'reports/runs.md')
    .option('--command <line...>', 'commands that reproduce the runs, listed in the report')
    .action((f: { runs: string[]; title: string; out: string; command?: string[] }) => {
      const md = runsMarkdown(readRuns(f.runs), f.title, f.command ?? []);
      writeFileAtomic(f.out, md);
      console.log(`wrote ${f.out}`);
    });
}
