/** Markdown for a set of training runs (models/<name>/manifest.json + export.json). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, type Manifest } from '../api/train.js';
import type { ExportReport } from '../api/export.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { runDiagnostics } from '../analyze/report.js';

export interface RunSummary {
  dir: string;
  manifest: Manifest;
  exported: (ExportReport & { opset: number }) | null;
  /** last epoch of log.jsonl */
  last: { loss: number; trainAcc: number } | null;
}

export function readRuns(dirs: string[]): RunSummary[] {
  return dirs.map((dir) => {
    const p = join(dir, 'export.json');
    const logPath = join(dir, 'log.jsonl');
    const logLines = existsSync(logPath) ? readFileSync(logPath, 'utf8').trim().split('\n').filter(Boolean) : [];
    const last = logLines.length ? (JSON.parse(logLines[logLines.length - 1]) as { loss: number; trainAcc: number }) : null;
    return { dir, manifest: readManifest(dir), exported: existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as RunSummary['exported']) : null, last };
  });
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(2)}`);

export function runsMarkdown(runs: RunSummary[], title: string, commands: string[]): string {
  const m0 = runs[0]?.manifest;
  const lines = [
    `# ${title}`,
    '',
    m0
      ? `${m0.model} on ${m0.dataset.source}: ${m0.dataset.train} training images (stratified subset), ${m0.dataset.val} validation, ${m0.dataset.test} test; ` +
        `${m0.recipe.epochs} epochs, batch ${m0.recipe.batchSize}, SGD momentum ${m0.recipe.momentum}, lr ${m0.recipe.lr} (${m0.recipe.schedule}, ÷10 at ${m0.recipe.milestones.join(', ')} of the run), weight decay ${m0.recipe.weightDecay}, seed ${m0.seed}.`
      : '',
    '',
    '| activation | test acc % | val acc % | last-epoch train loss / acc % | train img/s | backend | train s | params | ONNX nodes | max abs Δlogit (clean / corrupted) | top-1 agreement % (clean / corrupted) | checker |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|',
    ...runs.map(({ manifest: m, exported: e, last }) => {
      const name = m.activation.name === 'custom' ? `\`${m.activation.expr}\`` : m.activation.name;
      const loss = m.result.stopped ? `stopped: ${m.result.stopped.reason}` : last ? `${last.loss.toFixed(4)} / ${pct(last.trainAcc)}` : '–';
      const fid = e ? `${e.clean.maxAbsDiff.toExponential(1)} / ${e.corrupted.maxAbsDiff.toExponential(1)}` : 'not exported';
      const agree = e ? `${pct(e.clean.top1Agreement)} / ${pct(e.corrupted.top1Agreement)} (${e.clean.images} images)` : '–';
      return `| ${name} | ${pct(m.result.testAcc)} | ${pct(m.result.valAcc)} | ${loss} | ${m.timings.imagesPerSecond.toFixed(0)} | ${m.backend} | ${m.timings.trainSeconds.toFixed(0)} | ${m.params.toLocaleString('en')} | ${e ? e.nodes : '–'} | ${fid} | ${agree} | ${e?.checker ? `onnx ${e.checker.version} ok` : '–'} |`;
    }),
    '',
    ...runDiagnostics(runs.map(({ dir, manifest: m }) => ({ dir, label: m.activation.name === 'custom' ? `\`${m.activation.expr}\`` : m.activation.name }))),
    `Machine: ${machineLine(machineInfo())}.`,
    '',
    'Reproduce:',
    '',
    '```bash',
    ...commands,
    '```',
    '',
  ];
  return lines.join('\n');
}
