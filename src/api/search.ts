/**
 * `actbench search`: regularized evolution over activation graphs (PANGAEA), scored on accuracy and
 * optionally robustness and deployed speed, resumable, with a report (best-so-far curve, top functions,
 * trained parameters per layer, ReLU under the same protocol) and an export of the top functions.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { ActivationLayer } from '../acts/tfjs.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError, fsError } from '../errors.js';
import { loadDataset } from '../data/sources.js';
import { describeModel } from '../models/registry.js';
import { lockDir } from '../util/lock.js';
import { assertSameRun } from '../util/same-run.js';
import { checkInt, checkSeed, searchRecipe, type SearchRecipe } from '../search/options.js';
import { activationModel } from '../onnx/activation-model.js';
import { loadModel } from '../train/io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { bestSoFar, initialState, loadState, runEvolution, type Candidate, type Evaluation, type SearchState } from '../search/evolution.js';
import { CandidateJobError, makeFitness, type FitnessKind } from '../search/fitness.js';
import { meanStd, significance, welchTTest } from '../eval/stats.js';
import { localExecutor, type Executor } from '../jobs/executor.js';
import { queueExecutor } from '../jobs/queue/executor.js';
import { parseQueueUrl } from '../jobs/queue/url.js';
import { inParallel } from '../jobs/runner.js';
import { trainInChild } from '../jobs/train.js';
import { readManifest, type Manifest } from './train.js';
import { resolveActivation } from '../acts/define.js';
import { toDefinition } from '../search/genome.js';
import { searchPareto, SEARCH_PARETO_FILE } from '../report/search-pareto.js';
import { writeReportHtml } from '../report/html.js';

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
  /** continue the search in `out` (only with the same recipe; the budget may grow) */
  resume?: boolean;
  /** discard the search in `out` and start afresh */
  force?: boolean;
  /** add LayerAct-style layer statistics to the operators (off by default) */
  layerOps?: boolean;
  /** send the candidates' trainings to this queue (redis://…) instead of child processes here; not part of the recipe */
  queue?: string;
  /** the directory every queue worker sees (default: the working directory); --out must be inside it */
  artifacts?: string;
  log?: (l: string) => void;
  /** after each evaluated candidate (progress) */
  onCandidate?: (c: Candidate, s: SearchState) => void;
}

export interface SearchResult {
  state: SearchState;
  report: string;
  baseline: Evaluation;
}

/** What a search writes in its directory: --force removes these (and nothing else a user put there). */
const SEARCH_OUTPUTS = ['state.json', 'search.json', 'baseline-relu.json', 'candidates', 'report.md', 'best-so-far.svg', 'pareto.svg', 'report.html', 'export', 'rerank', 'rerank.md'];

/** --force: remove a search's own outputs from its directory (stale candidates would otherwise be reused). */
export function discardSearch(out: string): void {
  for (const f of SEARCH_OUTPUTS) rmSync(join(out, f), { recursive: true, force: true });
}

/** The evolution's own configuration must match the recipe too (a state from another search copied in). */
const evolutionOf = (r: SearchRecipe) => ({ population: r.population, sample: r.sample, threshold: r.threshold, seed: r.seed, batch: r.workers, layerOps: r.layerOps });

function readRecipe(file: string): SearchRecipe & { budget?: number } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SearchRecipe & { budget?: number };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw fsError(e, file, 'read the search recipe');
    throw new ActbenchError('SEARCH_BAD_STATE', `${file} is not a search recipe (${(e as Error).message}); --force starts the search afresh`, { file });
  }
}

/**
 * Runs (or resumes) a search. Resolves only when the search ran to its budget with at least one candidate
 * trained; rejects otherwise, with a coded error: SEARCH_BAD_OPTION, OUTPUT_EXISTS, RESUME_MISMATCH,
 * OUTPUT_LOCKED before any work; SEARCH_BASELINE_FAILED when ReLU did not train; the child's own code when a
 * candidate's training job failed (the state is saved: --resume retries it); SEARCH_NOTHING_TRAINED when no
 * candidate trained (the report is written and says so).
 */
export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const log = o.log ?? (() => {});
  const recipe = searchRecipe(o);
  if (o.resume && o.force) throw new ActbenchError('SEARCH_BAD_OPTION', '--resume continues the search in --out and --force discards it: pass one of them', { field: 'force', exit: 2 });
  describeModel(recipe.model); // MODEL_UNKNOWN with close matches, before any work
  loadDataset(recipe.data); // the data spec and its files, before any work
  const url = o.queue === undefined ? undefined : parseQueueUrl(o.queue);
  const lock = lockDir(o.out, 'search directory');
  try {
    // the executor: child processes here, or the queue's workers (checked reachable before any work)
    const executor = url ? await queueExecutor({ url, run: o.out, artifacts: o.artifacts, log }) : localExecutor(Math.max(o.workers, 1));
    try {
      if (url) log(`search: candidates go to the queue at ${url.display}`);
      return await searchLocked(o, recipe, log, executor);
    } finally {
      await executor.close();
    }
  } finally {
    lock.release();
  }
}

async function searchLocked(o: SearchOptions, recipe: SearchRecipe, log: (l: string) => void, executor: Executor): Promise<SearchResult> {
  const stateFile = join(o.out, 'state.json');
  const recipeFile = join(o.out, 'search.json');
  const exists = existsSync(stateFile) || existsSync(recipeFile);
  if (o.force && exists) {
    log(`--force: discarding the search in ${o.out}`);
    discardSearch(o.out);
  } else if (exists && !o.resume) {
    throw new ActbenchError('OUTPUT_EXISTS', `${o.out} already holds a search: pass --resume to continue it, --force to discard it and start afresh, or another --out`, { file: o.out });
  }
  if (o.resume && !existsSync(stateFile)) throw new ActbenchError('SEARCH_NO_STATE', `--resume: ${stateFile} not found (no search to continue)`, { file: stateFile });
  let state: SearchState;
  if (o.resume) {
    if (!existsSync(recipeFile)) throw new ActbenchError('SEARCH_BAD_STATE', `--resume: ${recipeFile} not found, so the search's recipe cannot be checked; --force starts afresh`, { file: recipeFile });
    const { budget: _b, ...stored } = readRecipe(recipeFile);
    const hint = 'pass the flags of the original search (only --budget may change), or --force to start afresh';
    assertSameRun('search', recipeFile, stored, recipe, hint);
    const loaded = loadState(stateFile);
    const { budget: _sb, ...storedEvolution } = loaded.config;
    assertSameRun('search', stateFile, storedEvolution, evolutionOf(recipe), hint);
    state = { ...loaded, config: { ...loaded.config, budget: o.budget } };
  } else {
    state = initialState({ ...evolutionOf(recipe), budget: o.budget });
  }
  writeFileAtomic(recipeFile, JSON.stringify({ ...recipe, budget: o.budget }, null, 2));
  // functionally identical candidates reuse an earlier result: rebuild the table from the history
  // (the baseline, then finished candidates in id order, then the results of the pending batch: exactly what
  // an uninterrupted run knows when it reaches the first candidate still to evaluate)
  const known = new Map<string, Evaluation>();
  const baselineFile = join(o.out, 'baseline-relu.json');
  const remember = (e: Evaluation | undefined) => {
    if (e && typeof e.details.fingerprint === 'string' && (e.status === 'ok' || e.status === 'nan') && !known.has(e.details.fingerprint)) known.set(e.details.fingerprint, e);
  };
  let baseline: Evaluation | undefined = existsSync(baselineFile) ? (JSON.parse(readFileSync(baselineFile, 'utf8')) as Evaluation) : undefined;
  remember(baseline);
  for (const c of state.history) remember(c);
  for (const p of state.pending) remember(p.result);
  const fitness = makeFitness({ ...recipe, dir: o.out, kind: recipe.fitness, log: () => {} }, known, executor);

  if (!baseline) {
    log('ReLU under the same protocol …');
    baseline = await stopOnJobFailure(() => fitness('relu', 'relu'), stateFile);
    if (baseline.status !== 'ok') {
      const why = typeof baseline.details.reason === 'string' ? baseline.details.reason : typeof baseline.details.error === 'string' ? baseline.details.error : baseline.status;
      throw new ActbenchError('SEARCH_BASELINE_FAILED', `the ReLU baseline did not train (${baseline.status}: ${why}): no candidate could be compared with it; check the recipe (--lr, --epochs, --data)`, { file: join(o.out, 'candidates', 'relu') });
    }
    writeFileAtomic(baselineFile, JSON.stringify(baseline));
  }
  const relu: Evaluation = baseline;
  log(`ReLU fitness ${relu.fitness.toFixed(4)}`);
  await stopOnJobFailure(
    () =>
      runEvolution(state, (g, id) => fitness(g, id), {
        stateFile,
        onCandidate: (c, s) => {
          const best = Math.max(...s.history.map((h) => h.fitness));
          log(`#${c.id + 1}/${s.config.budget} ${c.mutation.padEnd(10)} ${c.status.padEnd(9)} fitness ${c.fitness.toFixed(4)}  best ${best.toFixed(4)}  ${c.expr}`);
          o.onCandidate?.(c, s);
        },
      }),
    stateFile,
  );
  const report = await searchReport(o.out, state, relu, recipe);
  if (!state.history.some((c) => c.status === 'ok')) {
    const counts = Object.entries(statusCounts(state)).map(([k, v]) => `${v} ${k}`).join(', ');
    throw new ActbenchError('SEARCH_NOTHING_TRAINED', `no candidate trained (${counts || 'none evaluated'}): the search found nothing; see ${report}`, { file: report });
  }
  return { state, report, baseline: relu };
}

/** A candidate's failed child job ends the search with the child's code, saying that the state was kept. */
async function stopOnJobFailure<T>(fn: () => Promise<T>, stateFile: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CandidateJobError) {
      throw new ActbenchError(e.code, `${e.message}\nthe search stopped; its state is saved in ${stateFile}: fix the cause and rerun with --resume`, { file: e.file ?? stateFile, field: e.field, exit: e.exit });
    }
    throw e;
  }
}

const statusCounts = (state: SearchState) => state.history.reduce<Record<string, number>>((a, c) => ((a[c.status] = (a[c.status] ?? 0) + 1), a), {});

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

export async function searchReport(out: string, state: SearchState, baseline: Evaluation, o: Pick<SearchOptions, 'model' | 'data' | 'fitness' | 'epochs' | 'limitTrain'>, w: { html?: boolean } = {}): Promise<string> {
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
  const counts = statusCounts(state);
  const pareto = await searchPareto(state.history, o.fitness);
  if (pareto.svg) writeFileAtomic(join(out, SEARCH_PARETO_FILE), pareto.svg);
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
    ...pareto.markdown,
    `Machine: ${machineLine(machineInfo())}.`,
    '',
  ].join('\n');
  const file = join(out, 'report.md');
  writeFileAtomic(file, md);
  if (w.html) writeReportHtml(file, md, pareto.spec ? { [SEARCH_PARETO_FILE]: pareto.spec } : {});
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
  const C = 'SEARCH_BAD_OPTION';
  checkInt(C, 'top', o.top);
  checkInt(C, 'epochs', o.epochs);
  checkInt(C, 'workers', o.workers);
  if (o.limitTrain !== undefined) checkInt(C, 'limitTrain', o.limitTrain);
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new ActbenchError(C, 'seeds must be a non-empty list of seeds', { field: 'seeds', exit: 2 });
  o.seeds.forEach((s, k) => checkSeed(C, `seeds[${k}]`, s));
  if (new Set(o.seeds).size !== o.seeds.length) throw new ActbenchError(C, `seeds must not repeat (got ${o.seeds.join(', ')}): a repeated seed would count one run twice`, { field: 'seeds', exit: 2 });
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) throw new ActbenchError('SEARCH_NO_STATE', `${stateFile} not found: rerank needs a search directory`, { file: stateFile });
  const state = loadState(stateFile);
  const cfg = readRecipe(join(dir, 'search.json'));
  const lock = lockDir(dir, 'search directory');
  try {
    const ranked = [...state.history].filter((c) => c.status === 'ok').sort((a, b) => b.fitness - a.fitness).slice(0, o.top);
    const entries = [{ label: 'relu', act: 'relu' }, ...ranked.map((c, k) => ({ label: `#${k + 1}`, act: c.expr }))];
    const jobs = entries.flatMap((e) => o.seeds.map((seed) => ({ ...e, seed })));
    const acc = new Map<string, number[]>();
    const stopped = new Map<string, number>();
    const limitTrain = o.limitTrain ?? cfg.limitTrain;
    const failures = await inParallel(jobs, o.workers, async (j) => {
      const out = join(dir, 'rerank', `${j.label.replace('#', 'top')}-s${j.seed}`);
      const request = { model: cfg.model, act: j.act, data: cfg.data, seed: j.seed, out, limitTrain, limitTest: cfg.limitTest, recipe: { epochs: o.epochs, lr: cfg.lr } };
      let manifest: Manifest;
      if (existsSync(join(out, 'manifest.json')) && !existsSync(join(out, 'checkpoint', 'state.json'))) {
        manifest = readManifest(out);
        // a finished rerank run is reused only when it is this run (the ranking may have changed since)
        assertSameRun('rerank run', join(out, 'manifest.json'),
          { expr: manifest.activation.expr, model: manifest.model, data: manifest.dataset.spec, seed: manifest.seed, epochs: manifest.recipe.epochs, lr: manifest.recipe.lr },
          { expr: resolveActivation(j.act).expr, model: cfg.model, data: cfg.data, seed: j.seed, epochs: o.epochs, lr: cfg.lr },
          `remove ${out} to retrain it`);
      } else {
        o.log?.(`rerank ${j.label} seed ${j.seed} …`);
        const resume = existsSync(join(out, 'checkpoint', 'state.json'));
        manifest = (await trainInChild({ kind: 'train', train: { ...request, resume } }, { label: `rerank ${j.label} (${j.act}) seed ${j.seed}` })).manifest;
      }
      if (manifest.result.stopped || manifest.result.testAcc === null) stopped.set(j.label, (stopped.get(j.label) ?? 0) + 1);
      else acc.set(j.label, [...(acc.get(j.label) ?? []), manifest.result.testAcc]);
    });
    if (failures.length) {
      const first = failures[0].error;
      const list = failures.map((f) => `${f.item.label} seed ${f.item.seed}: ${f.error instanceof ActbenchError ? `[${f.error.code}] ` : ''}${(f.error as Error).message}`).join('\n  ');
      throw new ActbenchError(first instanceof ActbenchError ? first.code : 'SEARCH_JOB_FAILED', `${failures.length} of ${jobs.length} rerank trainings failed; nothing was written:\n  ${list}`, {
        file: first instanceof ActbenchError ? first.file : dir,
      });
    }
    const base = acc.get('relu') ?? [];
    const rows = entries.map((e) => {
      const xs = acc.get(e.label) ?? [];
      const m = meanStd(xs);
      const t = e.label === 'relu' || xs.length < 2 || base.length < 2 ? null : welchTTest(xs, base);
      return `| ${e.label} | \`${e.act}\` | ${xs.length ? `${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)}` : '–'} | ${xs.length} | ${stopped.get(e.label) ?? 0} | ${t ? `${t.pGreater.toFixed(3)}${significance(t.pGreater)}` : '–'} |`;
    });
    const md = [
      '# Re-ranking of the top functions',
      '',
      `${cfg.model} on ${cfg.data}, ${o.epochs} epochs on ${limitTrain} training images, seeds ${o.seeds.join(', ')}; test accuracy. p: Welch's one-sided t-test that the mean is above ReLU's. ` +
        'Runs stopped on a non-finite loss are counted apart, not averaged in as 0.',
      '',
      '| rank | function | test acc % (mean ± std) | runs | stopped | p vs ReLU |',
      '|---|---|---:|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n');
    const file = join(dir, 'rerank.md');
    writeFileAtomic(file, md);
    return file;
  } finally {
    lock.release();
  }
}
