/**
 * Re-render a committed study report from its stored results, without retraining or re-benchmarking: inserts
 * the decision section (and pareto.svg) after the intro of report.md and writes report.html beside it.
 * Usage: node --import tsx scripts/rerender-study-report.ts reports/example/study-fashion-mnist [models-root]
 * (models-root: where the run directories named in the results store live, for the parameter counts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionView, PARETO_FILE, studyFigures } from '../src/report/decision-view.js';
import { manifestParams } from '../src/report/decision.js';
import { writeReportHtml } from '../src/report/html.js';
import { collectRuns } from '../src/report/robustness.js';
import { ResultsStore, type BenchRecord } from '../src/results/store.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const [dir, modelsRoot = '.'] = process.argv.slice(2);
if (!dir) throw new Error('usage: rerender-study-report.ts REPORT_DIR [MODELS_ROOT]');
const records = new ResultsStore(join(dir, 'results.jsonl')).read();
const runs = collectRuns(records);
const bench = records.filter((r): r is BenchRecord => r.kind === 'bench');
const baseline = runs.some((r) => r.activation === 'relu') ? 'relu' : undefined;
const view = await decisionView(runs, bench, { baseline, paramsOf: (m) => manifestParams(join(modelsRoot, m)) });
const file = join(dir, 'report.md');
const old = readFileSync(file, 'utf8');
// drop a decision section of an earlier re-render, then insert the new one before the first table section
const body = old.replace(/## Decision: [\s\S]*?(?=\n## )\n/, '');
const at = body.indexOf('\n## ');
const md = `${body.slice(0, at + 1)}${view.markdown}\n${body.slice(at + 1)}`;
writeFileAtomic(join(dir, PARETO_FILE), view.paretoSvg);
writeFileAtomic(file, md);
console.log(`wrote ${file}, ${join(dir, PARETO_FILE)}, ${writeReportHtml(file, md, studyFigures(runs, view.paretoSpec))}`);
