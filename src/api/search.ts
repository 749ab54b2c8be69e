/**
 * `actbench search`: regularized evolution over activation graphs (PANGAEA), scored on accuracy and
 * optionally robustness and deployed speed, resumable, with a report (best-so-far curve, top functions,
 * trained parameters per layer, ReLU under the same protocol) and an export of the top functions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { ActivationLayer } from '../acts/tfjs.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError } from '../errors.js';
import { activationModel } from '../onnx/activation-model.js';
import { loadModel } from '../train/io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { bestSoFar, initialState, loadState, runEvolution, type Candidate, type Evaluation, type SearchConfig, type SearchState } from '../search/evolution.js';
import { makeFitness, type FitnessKind } from '../search/fitness.js';
import { meanStd, significance, welchTTest } from '../eval/stats.js';
import { inParallel, runCli } from '../util/child.js';
import { toDefinition } from '../search/genome.js';

export interface SearchOptions {
  model: string;
  data: string;
  budget: number;
  population: number;
  sample: number;
  threshold: number;
  seed: number;
  workers: number;
  out: string;
  epochs: number;
  limitTrain: number;
  limitTest: number;
  lr: number;
  fitness: FitnessKind;
  latencyWeight: number;
  resume?: boolean;
  /** add LayerAct-style layer statistics to the operators (off by default) */
  layerOps?: boolean;
  log?: (l: string) => void;
}

export async function runSearch(o: SearchOptions): Promise<{ state: SearchState; report: string; baseline: Evaluation }> {
  const log = o.log ?? (() => {});
  const stateFile = join(o.out, 'state.json');
  if (existsSync(stateFile) && !o.resume) throw new ActbenchError('SEARCH_EXISTS', `${stateFile} exists: pass --resume to continue that search, or another --out`, { file: stateFile });
  if (!existsSync(stateFile) && o.resume) throw new ActbenchError('SEARCH_NO_STATE', `--resume: ${stateFile} not found`, { file: stateFile });
  const config: SearchConfig = { population: o.population, sample: o.sample, budget: o.budget, threshold: o.threshold, seed: o.seed, batch: o.workers, layerOps: !!o.layerOps };
  const state = o.resume ? { ...loadState(stateFile), config: { ...loadState(stateFile).config, budget: o.budget } } : initialState(config);
  writeFileAtomic(join(o.out, 'search.json'), JSON.stringify({ ...o, log: undefined }, null, 2));
  // functionally identical candidates reuse an earlier result: rebuild the table from the history
  const known = new Map<string, Evaluation>();
  for (const c of state.history) if (typeof c.details.fingerprint === 'string' && c.status !== 'duplicate') known.set(c.details.fingerprint, c);
  const fitness = makeFitness({ ...o, dir: o.out, kind: o.fitness, log: () => {} }, known);

  const baselineFile = join(o.out, 'baseline-relu.json');
  let baseline: Evaluation;
  if (existsSync(baselineFile)) baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Evaluation;
  else {
    log('ReLU under the same protocol …');
    baseline = await fitness('relu', 'relu');
    writeFileAtomic(baselineFile, JSON.stringify(baseline));
  }
  log(`ReLU fitness ${baseline.fitness.toFixed(4)}`);
  await runEvolution(state, (g, id) => fitness(g, id), {
    stateFile,
    onCandidate: (c, s) => {
      const best = Math.max(...s.history.map((h) => h.fitness));
      log(`#${c.id + 1}/${s.config.budget} ${c.mutation.padEnd(10)} ${c.status.padEnd(9)} fitness ${c.fitness.toFixed(4)}  best ${best.toFixed(4)}  ${c.expr}`);
    },
  });
  const report = await searchReport(o.out, state, baseline, o);
  return { state, report, baseline };
}

async function paramSummary(dir: string): Promise<string> {
  if (!existsSync(join(dir, 'model.json'))) return '–';
  const m = await loadModel(dir);
  const parts: string[] = [];
  for (const l of m.layers) {
    if (!(l instanceof ActivationLayer)) continue;
    const vals = l.paramValues();
    const s = Object.entries(vals).map(([k, v]) => {
      const xs = Array.from(v.values);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return `${k} ${mean.toFixed(3)} [${Math.min(...xs).toFixed(2)}, ${Math.max(...xs).toFixed(2)}]`;
    });
    if (s.length) parts.push(`${l.name}: ${s.join(', ')}`);
  }
  m.dispose();
  return parts.join('<br>') || 'no parameters';
}

export async function searchReport(out: string, state: SearchState, baseline: Evaluation, o: Pick<SearchOptions, 'model' | 'data' | 'fitness' | 'epochs' | 'limitTrain'>): Promise<string> {
  const curve = bestSoFar(state.history);
  const values = [
    ...curve.map((v, k) => ({ evaluation: k + 1, fitness: v, series: 'best so far' })),
    ...state.history.map((c) => ({ evaluation: c.id + 1, fitness: c.fitness, series: 'candidate' })),
  ];
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'PANGAEA search: best fitness so far (line), each candidate (points), ReLU (rule)',
    width: 480,
    height: 260,
    layer: [
      { data: { values: values.filter((v) => v.series === 'candidate') }, mark: { type: 'point', opacity: 0.5 }, encoding: { x: { field: 'evaluation', type: 'quantitative' }, y: { field: 'fitness', type: 'quantitative', scale: { zero: false } } } },
      { data: { values: values.filter((v) => v.series === 'best so far') }, mark: { type: 'line', interpolate: 'step-after', color: 'firebrick' }, encoding: { x: { field: 'evaluation', type: 'quantitative' }, y: { field: 'fitness', type: 'quantitative' } } },
      { data: { values: [{ relu: baseline.fitness }] }, mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { field: 'relu', type: 'quantitative' } } },
    ],
  };
  writeFileAtomic(join(out, 'best-so-far.svg'), await new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG());
  const ranked = [...state.history].filter((c) => c.status === 'ok').sort((a, b) => b.fitness - a.fitness).slice(0, 10);
  const rows: string[] = [];
  for (const [k, c] of ranked.entries()) {
    const params = k < 3 ? await paramSummary(join(out, 'candidates', String(c.id))) : '';
    rows.push(`| ${k + 1} | \`${c.expr}\` | ${c.fitness.toFixed(4)} | ${typeof c.details.valAcc === 'number' ? (100 * c.details.valAcc).toFixed(2) : '–'} | ${c.mutation} | ${params} |`);
  }
  const counts = state.history.reduce<Record<string, number>>((a, c) => ((a[c.status] = (a[c.status] ?? 0) + 1), a), {});
  const md = [
    `# Activation search (PANGAEA regularized evolution)`,
    '',
    `${o.model} on ${o.data}, ${o.epochs} epochs on ${o.limitTrain} training images per candidate; fitness: ${o.fitness}. ` +
      `P = ${state.config.population}, S = ${state.config.sample}, C = ${state.config.budget}, V = ${state.config.threshold}, seed ${state.config.seed}.`,
    '',
    `Evaluated ${state.history.length} candidates: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}; ${state.history.filter((c) => !c.admitted).length} below the threshold (discarded, counted).`,
    `ReLU under the same protocol: fitness ${baseline.fitness.toFixed(4)}${typeof baseline.details.valAcc === 'number' ? ` (validation accuracy ${(100 * baseline.details.valAcc).toFixed(2)} %)` : ''}.`,
    '',
    '![best so far](best-so-far.svg)',
    '',
    '## Top functions',
    '',
    '| rank | function | fitness | val acc % | from | trained parameters per layer (mean [min, max] over channels) |',
    '|---:|---|---:|---:|---|---|',
    ...rows,
    '',
    `Export them: \`actbench search export ${out} --top 3\` (catalogue-format definitions and standalone ONNX graphs).`,
    '',
    `Machine: ${machineLine(machineInfo())}.`,
    '',
  ].join('\n');
  const file = join(out, 'report.md');
  writeFileAtomic(file, md);
  return file;
}

/** The top functions of a search as activation definitions (catalogue format) and standalone ONNX graphs. */
export function exportSearch(dir: string, top: number): string[] {
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) throw new ActbenchError('SEARCH_NO_STATE', `${stateFile} not found`, { file: stateFile });
  const state = loadState(stateFile);
  const ranked: Candidate[] = [...state.history].filter((c) => c.status === 'ok').sort((a, b) => b.fitness - a.fitness).slice(0, top);
  const written: string[] = [];
  const catalogue = ranked.map((c, k) => {
    const def = { ...toDefinition(c.gene), name: `search_${k + 1}` };
    const onnx = join(dir, 'export', `search_${k + 1}.onnx`);
    writeFileAtomic(onnx, activationModel(def, { shape: [1, 16, 8, 8], dynamicBatch: true }));
    written.push(onnx);
    return { ...def, fitness: c.fitness, candidate: c.id };
  });
  const file = join(dir, 'export', 'catalogue.json');
  writeFileAtomic(file, JSON.stringify(catalogue, null, 2));
  return [file, ...written];
}

export interface RerankOptions {
  top: number;
  epochs: number;
  seeds: number[];
  limitTrain?: number;
  workers: number;
  log?: (l: string) => void;
}

/** The search's final step: retrain the top k (and ReLU) longer, on several seeds; mean ± std, Welch vs ReLU. */
export async function rerankSearch(dir: string, o: RerankOptions): Promise<string> {
  const state = loadState(join(dir, 'state.json'));
  const cfg = JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')) as SearchOptions;
  const ranked = [...state.history].filter((c) => c.status === 'ok').sort((a, b) => b.fitness - a.fitness).slice(0, o.top);
  const entries = [{ label: 'relu', act: 'relu' }, ...ranked.map((c, k) => ({ label: `#${k + 1}`, act: c.expr }))];
  const jobs = entries.flatMap((e) => o.seeds.map((seed) => ({ ...e, seed })));
  const acc = new Map<string, number[]>();
  await inParallel(jobs, o.workers, async (j) => {
    const out = join(dir, 'rerank', `${j.label.replace('#', 'top')}-s${j.seed}`);
    if (!existsSync(join(out, 'manifest.json'))) {
      o.log?.(`rerank ${j.label} seed ${j.seed} …`);
      try {
        await runCli(['train', '--model', cfg.model, '--act', j.act, '--data', cfg.data, '--epochs', String(o.epochs), '--limit-train', String(o.limitTrain ?? cfg.limitTrain), '--limit-test', String(cfg.limitTest), '--lr', String(cfg.lr), '--seed', String(j.seed), '--out', out]);
      } catch {
        // a NaN stop exits with code 3 and still writes its manifest
      }
    }
    if (!existsSync(join(out, 'manifest.json'))) return;
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { result: { testAcc: number | null } };
    acc.set(j.label, [...(acc.get(j.label) ?? []), m.result.testAcc ?? 0]);
  });
  const base = acc.get('relu') ?? [];
  const rows = entries.map((e) => {
    const xs = acc.get(e.label) ?? [];
    const m = meanStd(xs);
    const t = e.label === 'relu' ? null : welchTTest(xs, base);
    return `| ${e.label} | \`${e.act}\` | ${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)} | ${xs.length} | ${t ? `${t.pGreater.toFixed(3)}${significance(t.pGreater)}` : '–'} |`;
  });
  const md = [
    '# Re-ranking of the top functions',
    '',
    `${cfg.model} on ${cfg.data}, ${o.epochs} epochs, seeds ${o.seeds.join(', ')}; test accuracy. p: Welch's one-sided t-test that the mean is above ReLU's.`,
    '',
    '| rank | function | test acc % (mean ± std) | runs | p vs ReLU |',
    '|---|---|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
  const file = join(dir, 'rerank.md');
  writeFileAtomic(file, md);
  return file;
}
