/**
 * An analysis on disk (<dir>/analysis.json + figures) and its markdown: the figures of one analysis, and
 * the diagnostics section `actbench report --runs` and `actbench study` add when a run has one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import type { Analysis, AnalysisRecord } from './analyze.js';
import { epochSvg, densitySvg, evenly, heatmapSvg, scatterSvg } from './figures.js';
import type { LayerMeanStats } from './track.js';

export const ANALYSIS_FILE = 'analysis.json';
/** where `actbench analyze RUN` writes, inside the run directory */
export const RUN_ANALYSIS_DIR = 'analysis';

/** An analysis file, or null when there is none; a malformed one is a coded error naming it. */
export function readAnalysis(dir: string): Analysis | null {
  const p = join(dir, ANALYSIS_FILE);
  if (!existsSync(p)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ActbenchError('ANALYZE_BAD_FILE', `${p} is not valid JSON (${e.message}); rerun actbench analyze with --force`, { file: p });
    throw fsError(e, p, 'read');
  }
  const a = raw as Partial<Analysis>;
  if (!a || a.version !== 1 || !Array.isArray(a.records) || !Array.isArray(a.layers) || !Array.isArray(a.values) || a.values.length !== a.records.length) {
    throw new ActbenchError('ANALYZE_BAD_FILE', `${p} is not an actbench analysis (version 1 with layers, records and values); rerun actbench analyze with --force`, { file: p });
  }
  return raw as Analysis;
}

const f3 = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3)) : '–');
export const meanStd = (s: { mean: number; std: number }) => `${f3(s.mean)} ± ${f3(s.std)}`;

/** The figures of one analysis: file name → SVG. */
export async function analysisFigures(a: Analysis, epochs: { epoch: number; stats: LayerMeanStats[] }[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const noise = a.records.map((r, k) => ({ r, v: a.values[k] })).filter(({ r }) => r.setting.kind === 'noise');
  if (noise.length) {
    out['fluctuation.svg'] = await densitySvg(
      noise.flatMap(({ r, v }) => [
        ...v.output.map((value) => ({ group: `${r.layer} f(y+ε)−f(y)`, panel: r.setting.label, value })),
        ...v.input.map((value) => ({ group: `${r.layer} ‖ε‖ (input)`, panel: r.setting.label, value })),
      ]),
      { title: 'Activation fluctuation per sample', xTitle: '‖·‖₂ per sample' },
    );
  }
  const means = a.records.map((r, k) => ({ r, v: a.values[k] })).filter(({ r }) => r.setting.kind === 'mean');
  out['activation-mean.svg'] = await densitySvg(
    means.flatMap(({ r, v }) => [...v.output.map((value) => ({ group: r.layer, panel: 'output a', value })), ...v.input.map((value) => ({ group: r.layer, panel: 'input y', value }))]),
    { title: 'Activation mean per unit (across the images)', xTitle: 'mean over images' },
  );
  const corr = a.records.filter((r) => r.setting.kind === 'corruption');
  if (corr.length) {
    out['corruption.svg'] = await heatmapSvg(corr.map((r) => ({ x: r.setting.label, y: r.layer, value: r.output.mean })), { title: 'Corruption fluctuation ‖a(c(x)) − a(x)‖ / ‖a(x)‖, mean over images', xTitle: 'corruption/severity', yTitle: 'layer', valueTitle: 'mean' });
  }
  if (a.pca) {
    out['pca.svg'] = await scatterSvg(evenly(a.pca.points, 400).map(([x, y, l]) => ({ panel: `penultimate features (${a.pca!.features}), PCA ${(100 * (a.pca!.explained[0] + a.pca!.explained[1])).toFixed(0)} % var.`, x, y, label: String(l) })), { columns: 1 });
  }
  if (epochs.length) {
    out['activation-mean-epochs.svg'] = await epochSvg(
      epochs.flatMap((e) => e.stats.map((s) => ({ epoch: e.epoch, group: s.layer, value: s.outputMean.median }))),
      { title: 'Activation mean per unit over the epochs (median over units)', yTitle: 'median per-unit activation mean' },
    );
  }
  return out;
}

const settingOrder = (r: AnalysisRecord) => (r.setting.kind === 'noise' ? 0 : r.setting.kind === 'mean' ? 1 : 2);

/** Markdown lines: a diagnostics table for each analysis (`dir`: where it lies; nothing when there is none). */
export function diagnosticsMarkdown(entries: { label: string; dir: string; analysis: Analysis }[]): string[] {
  if (entries.length === 0) return [];
  const lines = [
    '## Diagnostics (actbench analyze)',
    '',
    'Activation fluctuation ‖f(y+ε) − f(y)‖₂ per test image with ε ~ N(μ, σ²) added to the activation input y (LayerAct, Definitions 2–5), beside the input fluctuation ‖ε‖₂; ' +
      'corruption fluctuation ‖a(c(x)) − a(x)‖₂ / ‖a(x)‖₂; activation mean = per-unit mean output across the images (distribution over units). Mean ± std over images (units for the activation mean).',
    '',
    '| run | layer | activation | setting | input | output |',
    '|---|---|---|---|---:|---:|',
  ];
  for (const { label, analysis } of entries) {
    const rows = [...analysis.records].sort((a, b) => settingOrder(a) - settingOrder(b));
    const corr = rows.filter((r) => r.setting.kind === 'corruption');
    for (const r of rows.filter((x) => x.setting.kind !== 'corruption')) lines.push(`| ${label} | ${r.layer} | ${r.activation} | ${r.setting.label} | ${meanStd(r.input)} | ${meanStd(r.output)} |`);
    if (corr.length) {
      const worst = [...corr].sort((a, b) => b.output.mean - a.output.mean)[0];
      const avg = corr.reduce((s, r) => s + r.output.mean, 0) / corr.length;
      lines.push(`| ${label} | all | – | ${corr.length} corruption cells: mean / worst (${worst.layer}, ${worst.setting.label}) | – | ${f3(avg)} / ${f3(worst.output.mean)} |`);
    }
  }
  lines.push('', `Figures and per-image values: ${entries.map((e) => e.dir).join(', ')}.`, '');
  return lines;
}

/** The diagnostics section for run directories that hold an analysis (for `report --runs` and `study`). */
export function runDiagnostics(runs: { dir: string; label: string }[]): string[] {
  const entries = runs.flatMap(({ dir, label }) => {
    const analysis = readAnalysis(join(dir, RUN_ANALYSIS_DIR));
    return analysis ? [{ label, dir: join(dir, RUN_ANALYSIS_DIR), analysis }] : [];
  });
  return diagnosticsMarkdown(entries);
}

/** The diagnostics section for evaluated ONNX models: the analysis of their run (RUN/analysis) or of the file (MODEL-analysis/). */
export function modelDiagnostics(models: { model: string; label: string }[]): string[] {
  const seen = new Set<string>();
  const entries = models.flatMap(({ model, label }) => {
    for (const dir of [join(dirname(model), RUN_ANALYSIS_DIR), join(dirname(model), `${basename(model, '.onnx')}-analysis`)]) {
      if (seen.has(dir)) continue;
      const analysis = readAnalysis(dir);
      if (analysis) {
        seen.add(dir);
        return [{ label, dir, analysis }];
      }
    }
    return [];
  });
  return diagnosticsMarkdown(entries);
}
