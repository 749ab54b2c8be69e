/**
 * `actbench study`: the whole pipeline on one command — train a small CNN per activation and seed
 * (child jobs, one per core), export and validate, corrupt the test set at all severities, evaluate
 * every model on onnxruntime, benchmark them, and write one report. Every step is resumable: finished
 * runs, corruption files and result cells are skipped on a rerun.
 */
import { runDiagnostics } from '../analyze/report.js';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { plotActivations } from './acts.js';
import { CORRUPTIONS } from '../corrupt/presets.js';
import { corruptArraySet } from '../corrupt/pipeline.js';
import type { DatasetSplits } from '../data/dataset.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { resolveActivation, type ActivationDef } from '../acts/define.js';
import { ActbenchError } from '../errors.js';
import { inParallel } from '../jobs/runner.js';
import { localExecutor, type Executor } from '../jobs/executor.js';
import { queueExecutor } from '../jobs/queue/executor.js';
import { parseQueueUrl, type QueueAddress } from '../jobs/queue/url.js';
import { describeModel } from '../models/registry.js';
import { checkInt, checkNumber, checkSeed } from '../search/options.js';
import { lockDir } from '../util/lock.js';
import { assertDisjoint } from '../util/paths.js';
import { assertSameRun } from '../util/same-run.js';
import { readManifest, type Manifest } from './train.js';
import { exportedTarget } from './export.js';
import { DEBIAN_FASHION_MNIST, loadDataset } from '../data/sources.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { benchModels } from '../bench/models.js';
import { cifarCSource, evaluateModel } from '../eval/evaluate.js';
import { collectRuns, categoryPlot, robustnessMarkdown, severityPlot } from '../report/robustness.js';
import { ResultsStore, type BenchRecord } from '../results/store.js';
import { writeFileAtomic } from '../util/atomic.js';
import { decisionView, PARETO_FILE, studyFigures } from '../report/decision-view.js';
import type { Preference } from '../report/decision.js';
import { writeReportHtml } from '../report/html.js';
import { exportTargetForEp, type EpName } from '../runtime/session.js';

export interface StudyOptions {
  data?: string;
  model?: string;
  acts?: string[];
  seeds?: number[];
  epochs?: number;
  limitTrain?: number;
  testImages?: number;
  lr?: number;
  out?: string;
  modelsDir?: string;
  parallel?: number;
  ep?: EpName;
  /** the trade-off the decision section names a best activation for */
  preference?: Preference;
  /** train on the workers of this queue (redis://…) instead of child processes here */
  queue?: string;
  /** the directory every queue worker sees (default: the working directory); the models directory must be inside it */
  artifacts?: string;
  log?: (line: string) => void;
}

export const DEFAULT_STUDY_ACTS = ['relu', 'silu', 'gelu', 'la_silu', 'la_hardsilu', 'velu'];
/**
 * Three seeds by default: every number in the report gets a mean ± std and the decision view can tell a
 * difference from noise. Affordable since training runs on the native backend (18 runs in ≈ 5 min on 2 cores).
 */
export const DEFAULT_STUDY_SEEDS = [1, 2, 3];

interface StudyPlan {
  data: string;
  model: string;
  acts: { spec: string; def: ActivationDef }[];
  seeds: number[];
  epochs: number;
  limitTrain: number;
  testImages: number;
  lr: number;
  parallel: number;
  out: string;
  modelsDir: string;
  ds: DatasetSplits;
  queue?: QueueAddress;
}

/** The files and folders a data spec reads (for the outputs-never-touch-inputs check). */
function dataPaths(spec: string): string[] {
  const colon = spec.indexOf(':');
  if (colon < 0) return spec === 'fashion-mnist' ? [process.env.FASHION_MNIST_DIR || DEBIAN_FASHION_MNIST] : [];
  const arg = spec.slice(colon + 1);
  return spec.startsWith('npy:') ? arg.split(',').filter(Boolean) : [arg];
}

/**
 * Every input checked before any training: each activation resolved (all bad names reported together,
 * with close matches), the model, the data spec and its files, seeds, counts, and the outputs.
 */
function plan(o: StudyOptions): StudyPlan {
  const C = 'STUDY_BAD_OPTION';
  const data = o.data ?? (existsSync(DEBIAN_FASHION_MNIST) ? 'fashion-mnist' : 'mnist');
  const model = o.model ?? 'cnn_small';
  const actSpecs = o.acts ?? DEFAULT_STUDY_ACTS;
  if (!Array.isArray(actSpecs) || actSpecs.length === 0) throw new ActbenchError(C, 'acts must name at least one activation', { field: 'acts', exit: 2 });
  const dup = actSpecs.find((a, k) => actSpecs.indexOf(a) !== k);
  if (dup !== undefined) throw new ActbenchError(C, `acts lists '${dup}' twice: each activation is trained once per seed`, { field: 'acts', exit: 2 });
  const acts: StudyPlan['acts'] = [];
  const bad: ActbenchError[] = [];
  for (const spec of actSpecs) {
    try {
      acts.push({ spec, def: resolveActivation(spec) });
    } catch (e) {
      if (!(e instanceof ActbenchError)) throw e;
      bad.push(new ActbenchError(e.code, `'${spec}': ${e.message}`));
    }
  }
  if (bad.length) {
    throw new ActbenchError(bad[0].code, `${bad.length} of the ${actSpecs.length} activations cannot be used; nothing was trained:\n  ${bad.map((e) => e.message).join('\n  ')}`, { field: 'acts' });
  }
  const seeds = o.seeds ?? DEFAULT_STUDY_SEEDS;
  if (!Array.isArray(seeds) || seeds.length === 0) throw new ActbenchError(C, 'seeds must be a non-empty list', { field: 'seeds', exit: 2 });
  seeds.forEach((v, k) => checkSeed(C, `seeds[${k}]`, v));
  if (new Set(seeds).size !== seeds.length) throw new ActbenchError(C, `seeds must not repeat (got ${seeds.join(', ')})`, { field: 'seeds', exit: 2 });
  const epochs = checkInt(C, 'epochs', o.epochs ?? 2);
  const limitTrain = checkInt(C, 'limitTrain', o.limitTrain ?? 6000);
  const testImages = checkInt(C, 'testImages', o.testImages ?? 1000);
  const lr = checkNumber(C, 'lr', o.lr ?? 0.05, { min: 0, minOpen: true });
  const parallel = checkInt(C, 'parallel', o.parallel ?? cpus().length);
  describeModel(model); // MODEL_UNKNOWN with close matches
  const ds = loadDataset(data); // DATA_* errors naming the file
  const tag = `${data.split(':')[0]}-${model}`;
  const out = o.out ?? join('reports', `study-${tag}`);
  const modelsDir = o.modelsDir ?? join('models', `study-${tag}`);
  const inputs = dataPaths(data).map((path) => ({ path, what: 'dataset' }));
  assertDisjoint({ path: out, what: '--out' }, inputs);
  assertDisjoint({ path: modelsDir, what: 'models directory' }, inputs);
  const queue = o.queue === undefined ? undefined : parseQueueUrl(o.queue);
  return { data, model, acts, seeds, epochs, limitTrain, testImages, lr, parallel, out, modelsDir, ds, queue };
}

/** What a finished run directory must match to be reused by a rerun of the study. */
const runRecipe = (m: { activation: ActivationDef; model: string; data: string; seed: number; epochs: number; lr: number }) => ({
  activation: { expr: m.activation.expr, constants: m.activation.constants }, model: m.model, data: m.data, seed: m.seed, epochs: m.epochs, lr: m.lr,
});

/**
 * Runs (or resumes) the study. Rejects before any work on bad input (ACT_UNKNOWN, MODEL_UNKNOWN, DATA_*,
 * STUDY_BAD_OPTION, OUTPUT_LOCKED, OUTPUT_TOUCHES_INPUT, RESUME_MISMATCH); with the failed child's code (or
 * STUDY_JOB_FAILED for several codes) when a training or export job failed — no report is written, finished
 * runs are kept for a rerun; with STUDY_INCOMPLETE (exit 3) when a training stopped on a non-finite loss —
 * the report is written, marked incomplete and naming the missing runs.
 */
export async function runStudy(o: StudyOptions = {}): Promise<{ report: string; seconds: number }> {
  const p = plan(o);
  const locks = [lockDir(p.out, 'study report directory'), lockDir(p.modelsDir, 'study models directory')];
  try {
    const executor = p.queue ? await queueExecutor({ url: p.queue, run: p.out, artifacts: o.artifacts, log: o.log }) : localExecutor(p.parallel);
    try {
      return await studyLocked(p, o, executor);
    } finally {
      await executor.close();
    }
  } finally {
    for (const l of locks.reverse()) l.release();
  }
}

async function studyLocked(p: StudyPlan, o: StudyOptions, executor: Executor): Promise<{ report: string; seconds: number }> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const { data, model, seeds, epochs, limitTrain, testImages, out, modelsDir, ds } = p;
  const acts = p.acts.map((a) => a.spec);
  const runName = (act: string, seed: number) => `${act.replace(/[^A-Za-z0-9_.=-]+/g, '_')}-s${seed}`;
  // the test images (clean and corrupted): class-stratified, drawn with the fixed split seed, never a training seed
  const { set: test, perClass, indices } = stratifiedSubset(ds.test, testImages);

  // 1–2. train and export, one child job per core; the graphs lowered for the provider they are evaluated
  // and benchmarked on here (VeLU's CUDA-safe polynomials on the CPU provider would misstate its speed)
  const target = exportTargetForEp(o.ep ?? 'auto');
  const jobs = p.acts.flatMap(({ spec, def }) => seeds.map((seed) => ({ act: spec, def, seed })));
  const stopped: { act: string; seed: number; reason: string }[] = [];
  log(`study: ${data}, ${model}, ${acts.join(', ')}; seeds ${seeds.join(', ')}; ${epochs} epochs on ${limitTrain} images; ${jobs.length} runs, ${p.parallel} at a time; export --target ${target}`);
  // a run directory left by another study (other epochs, data, constants …) is refused before any training
  const previous = new Map<string, Manifest>();
  for (const { act, def, seed } of jobs) {
    const dir = join(modelsDir, runName(act, seed));
    if (!existsSync(join(dir, 'manifest.json'))) continue;
    const m = readManifest(dir);
    assertSameRun('run', join(dir, 'manifest.json'),
      runRecipe({ activation: m.activation, model: m.model, data: m.dataset.spec, seed: m.seed, epochs: m.recipe.epochs, lr: m.recipe.lr }),
      runRecipe({ activation: def, model, data, seed, epochs, lr: p.lr }),
      `remove ${dir} (or pass another --models-dir) to train it afresh`);
    previous.set(dir, m);
  }
  // with a queue every run is sent at once (the workers set the pace); here, one child per allowed core
  const width = p.queue ? jobs.length : p.parallel;
  if (p.queue) log(`study: trainings go to the queue at ${p.queue.display}`);
  const failures = await inParallel(jobs, width, async ({ act, seed }) => {
    const dir = join(modelsDir, runName(act, seed));
    const m = previous.get(dir);
    if (m?.result.stopped) {
      // a training that stopped on a non-finite loss stays stopped for this recipe
      stopped.push({ act, seed, reason: m.result.stopped.reason });
      log(`train ${act} seed ${seed}: stopped earlier (${m.result.stopped.reason})`);
      return;
    }
    if (m && existsSync(join(dir, 'model.onnx')) && exportedTarget(dir) === target) {
      log(`train ${act} seed ${seed}: done earlier (${dir})`);
      return;
    }
    const label = `${act} seed ${seed}`;
    log(`train ${label} …`);
    // one job trains (or resumes from its checkpoint, or reuses a finished run) and exports
    const r = await executor.run(
      'train-run',
      {
        train: { model, act, data, seed, out: dir, limitTrain, limitTest: testImages, recipe: { epochs, lr: p.lr, augment: data.startsWith('cifar') ? 'cifar' : 'none' } },
        export: { validationImages: 256, target },
      },
      { label: `train ${label}`, log },
    );
    if (r.manifest.result.stopped) {
      stopped.push({ act, seed, reason: r.manifest.result.stopped.reason });
      log(`train ${label}: stopped (${r.manifest.result.stopped.reason}), not exported`);
    }
  });
  if (failures.length) {
    const codes = [...new Set(failures.map((f) => (f.error instanceof ActbenchError ? f.error.code : 'JOB_INTERNAL')))];
    const first = failures[0].error;
    const lines = failures.map((f) => `${f.item.act} seed ${f.item.seed}: ${f.error instanceof ActbenchError ? `[${f.error.code}] ` : ''}${(f.error as Error).message}`);
    throw new ActbenchError(
      codes.length === 1 ? codes[0] : 'STUDY_JOB_FAILED',
      `${failures.length} of ${jobs.length} training jobs failed, so no report was written (finished runs are kept; a rerun continues):\n  ${lines.join('\n  ')}`,
      { file: first instanceof ActbenchError ? first.file : undefined, field: first instanceof ActbenchError ? first.field : undefined },
    );
  }

  // 3. the corrupted test set (the stratified test images, 19 corruptions × 5 severities)
  const n = test.labels.length;
  const className = (c: number) => ds.test.classNames?.[c] ?? String(c);
  const perClassText = [...perClass].map(([c, k]) => `${className(c)}: ${k}`).join(', ');
  writeFileAtomic(join(out, 'test-images.json'), JSON.stringify({ source: ds.source, testSet: ds.test.labels.length, images: n, splitSeed: SPLIT_SEED, perClass: Object.fromEntries([...perClass].map(([c, k]) => [className(c), k])) }, null, 2));
  const cdir = join('corruptions', `study-${data.split(':')[0]}-${n}-stratified`);
  log(`corrupt ${n} test images × 19 corruptions × 5 severities → ${cdir}`);
  await corruptArraySet(test, { corruptions: [...CORRUPTIONS], severities: [1, 2, 3, 4, 5], seed: 0, out: cdir, indices, subset: { split: 'test', selection: `class-stratified ${n} of ${ds.test.labels.length} (split seed ${SPLIT_SEED})` } }, `${ds.source} (test, ${n} class-stratified, split seed ${SPLIT_SEED})`);

  // 4. evaluate on onnxruntime (clean + 95 cells), export fidelity on the severity-5 cells
  const store = new ResultsStore(join(out, 'results.jsonl'));
  const finished = jobs.filter(({ act, seed }) => !stopped.some((s) => s.act === act && s.seed === seed));
  const models = finished.map(({ act, seed }) => join(modelsDir, runName(act, seed), 'model.onnx'));
  let datasetKey = '';
  for (const m of models) {
    log(`eval ${m}`);
    const src = cifarCSource(cdir, { clean: test });
    datasetKey = src.key;
    await evaluateModel(m, src, { ep: o.ep ?? 'auto', store, fidelity: { severities: [5], batches: 1 } });
  }

  // 5. deployed speed, the models in turns
  log(`bench ${models.length} models`);
  const benchRecords: BenchRecord[] = await benchModels(models, { batches: [1, 32, 128], warmup: 5, reps: 20, ep: o.ep ?? 'auto' });
  const storedBench = store.read().filter((r) => r.kind === 'bench');
  if (storedBench.length === 0) for (const b of benchRecords) store.append(b);

  // 6. the report
  const runs = collectRuns(store.read(), datasetKey);
  const trainSeconds: Record<string, number[]> = {};
  const trainedOn = new Set<string>();
  for (const { act, seed } of finished) {
    const m = readManifest(join(modelsDir, runName(act, seed)));
    trainedOn.add(`${m.backend}${m.backendVersion ? ` (${m.backendVersion})` : ''}`);
    const label = m.activation.name === 'custom' ? m.activation.expr : m.activation.name;
    (trainSeconds[label] ??= []).push(m.timings.trainSeconds);
  }
  writeFileAtomic(join(out, 'severity.svg'), await severityPlot(runs));
  writeFileAtomic(join(out, 'categories.svg'), await categoryPlot(runs));
  await plotActivations(acts, { out: join(out, 'activations.svg') });
  const incomplete = stopped.length
    ? `**Incomplete: ${stopped.length} of ${jobs.length} runs did not finish training and are missing from every table** — ` +
      stopped.map((s) => `${s.act} seed ${s.seed} (${s.reason})`).join('; ') + '.'
    : null;
  const baseline = runs.some((r) => r.activation === 'relu') ? 'relu' : undefined;
  const decision = await decisionView(runs, benchRecords, { baseline, preference: o.preference });
  writeFileAtomic(join(out, PARETO_FILE), decision.paretoSvg);
  const cmd = `npx actbench study --data ${data} --model ${model} --acts ${acts.join(',')} --seeds ${seeds.join(',')} --epochs ${epochs} --limit-train ${limitTrain} --test-images ${testImages}`;
  const md = robustnessMarkdown({
    title: `actbench study: ${acts.join(', ')} on ${data} (${model})`,
    intro: [
      ...(incomplete ? [incomplete, ''] : []),
      `Each activation: ${model} trained in TF.js on ${limitTrain} ${data} training images for ${epochs} epochs (seeds ${seeds.join(', ')}), exported to ONNX (\`--target ${target}\`: lowered for the provider below) and validated against TF.js, ` +
        `then evaluated on onnxruntime on ${n} of the ${ds.test.labels.length} test images clean and under all 19 corruptions × 5 severities (generated by \`actbench corrupt\`, seed 0, CIFAR preset constants, procedural frost).`,
      '',
      `Test images: ${n}, class-stratified (per class: ${perClassText}), drawn with the fixed split seed ${SPLIT_SEED}: the test split and this subset are independent of the training seeds, and identical for every activation and seed (indices' summary in test-images.json).`,
      '',
      `Trained on the TF.js backend ${[...trainedOn].join(', ') || '–'}; evaluated on onnxruntime's ${runs[0]?.provider ?? '–'} provider. ${p.seeds.length > 1 ? `Small data and few epochs: the ± and the significance marks say which differences hold across these ${p.seeds.length} seeds at this scale, not at the full recipe's.` : 'Small data, few epochs and one seed: this shows the pipeline end to end; rankings need the full recipe and several seeds.'}`,
    ],
    runs,
    bench: benchRecords,
    baseline,
    trainSeconds,
    plots: { severity: 'severity.svg', categories: 'categories.svg', shapes: 'activations.svg' },
    reproduce: [cmd],
    machine: machineLine(machineInfo()),
    decision: decision.markdown,
  });
  const report = join(out, 'report.md');
  // runs analysed with `actbench analyze RUN` add their diagnostics
  const diagnostics = runDiagnostics(finished.map(({ act, seed }) => ({ dir: join(modelsDir, runName(act, seed)), label: `${act} seed ${seed}` })));
  const full = diagnostics.length ? `${md.trimEnd()}\n\n${diagnostics.join('\n')}` : md;
  writeFileAtomic(report, full);
  writeReportHtml(report, full, studyFigures(runs, decision.paretoSpec));
  if (incomplete) {
    throw new ActbenchError('STUDY_INCOMPLETE', `${report} is incomplete: ${stopped.length} of ${jobs.length} runs stopped on a non-finite loss (${stopped.map((s) => `${s.act} seed ${s.seed}`).join(', ')}); the report says so`, { file: report, exit: 3 });
  }
  return { report, seconds: (performance.now() - t0) / 1000 };
}
