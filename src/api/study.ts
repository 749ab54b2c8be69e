/**
 * `actbench study`: the whole pipeline on one command — train a small CNN per activation and seed
 * (child processes, one per core), export and validate, corrupt the test set at all severities, evaluate
 * every model on onnxruntime, benchmark them, and write one report. Every step is resumable: finished
 * runs, corruption files and result cells are skipped on a rerun.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { plotActivations } from './acts.js';
import { CORRUPTIONS } from '../corrupt/presets.js';
import { corruptArraySet } from '../corrupt/pipeline.js';
import { subset } from '../data/dataset.js';
import { DEBIAN_FASHION_MNIST, loadDataset } from '../data/sources.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { benchModels } from '../bench/models.js';
import { cifarCSource, evaluateModel } from '../eval/evaluate.js';
import { collectRuns, categoryPlot, robustnessMarkdown, severityPlot } from '../report/robustness.js';
import { ResultsStore, type BenchRecord } from '../results/store.js';
import { writeFileAtomic } from '../util/atomic.js';
import { inParallel, runCli } from '../util/child.js';
import type { EpName } from '../runtime/session.js';

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
  log?: (line: string) => void;
}

export const DEFAULT_STUDY_ACTS = ['relu', 'silu', 'gelu', 'la_silu', 'la_hardsilu', 'velu'];

export async function runStudy(o: StudyOptions = {}): Promise<{ report: string; seconds: number }> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const data = o.data ?? (existsSync(DEBIAN_FASHION_MNIST) ? 'fashion-mnist' : 'mnist');
  const model = o.model ?? 'cnn_small';
  const acts = o.acts ?? DEFAULT_STUDY_ACTS;
  const seeds = o.seeds ?? [1];
  const epochs = o.epochs ?? 2;
  const limitTrain = o.limitTrain ?? 6000;
  const testImages = o.testImages ?? 1000;
  const tag = `${data.split(':')[0]}-${model}`;
  const out = o.out ?? join('reports', `study-${tag}`);
  const modelsDir = o.modelsDir ?? join('models', `study-${tag}`);
  const runName = (act: string, seed: number) => `${act.replace(/[^A-Za-z0-9_.=-]+/g, '_')}-s${seed}`;

  // 1–2. train and export, one child process per core
  const jobs = acts.flatMap((act) => seeds.map((seed) => ({ act, seed })));
  log(`study: ${data}, ${model}, ${acts.join(', ')}; seeds ${seeds.join(', ')}; ${epochs} epochs on ${limitTrain} images; ${jobs.length} runs, ${o.parallel ?? cpus().length} at a time`);
  await inParallel(jobs, o.parallel ?? cpus().length, async ({ act, seed }) => {
    const dir = join(modelsDir, runName(act, seed));
    if (existsSync(join(dir, 'export.json'))) {
      log(`train ${act} seed ${seed}: done earlier (${dir})`);
      return;
    }
    const resume = existsSync(join(dir, 'checkpoint', 'state.json')) ? ['--resume'] : [];
    if (!existsSync(join(dir, 'manifest.json')) || resume.length) {
      log(`train ${act} seed ${seed} …`);
      await runCli(['train', '--model', model, '--act', act, '--data', data, '--epochs', String(epochs), '--limit-train', String(limitTrain), '--limit-test', String(testImages),
        '--lr', String(o.lr ?? 0.05), '--seed', String(seed), '--out', dir, ...resume], log);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { result: { stopped: unknown } };
    if (manifest.result.stopped) {
      log(`train ${act} seed ${seed}: stopped (${JSON.stringify(manifest.result.stopped)}), not exported`);
      return;
    }
    await runCli(['export', dir, '--images', '256'], log);
  });

  // 3. the corrupted test set (first `testImages` test images, 19 corruptions × 5 severities)
  const ds = loadDataset(data);
  const test = subset(ds.test, Array.from({ length: Math.min(testImages, ds.test.labels.length) }, (_, k) => k), 'test');
  const cdir = join('corruptions', `study-${data.split(':')[0]}-${test.labels.length}`);
  log(`corrupt ${test.labels.length} test images × 19 corruptions × 5 severities → ${cdir}`);
  await corruptArraySet(test, { corruptions: [...CORRUPTIONS], severities: [1, 2, 3, 4, 5], seed: 0, out: cdir }, `${ds.source} (test, first ${test.labels.length})`);

  // 4. evaluate on onnxruntime (clean + 95 cells), export fidelity on the severity-5 cells
  const store = new ResultsStore(join(out, 'results.jsonl'));
  const models = jobs.map(({ act, seed }) => join(modelsDir, runName(act, seed), 'model.onnx')).filter((p) => existsSync(p));
  let datasetKey = '';
  for (const m of models) {
    log(`eval ${m}`);
    const src = cifarCSource(cdir, { clean: test });
    datasetKey = src.key;
    await evaluateModel(m, src, { ep: o.ep ?? 'auto', store, fidelity: { severities: [5], batches: 1 } });
  }

  // 5. deployed speed, interleaved
  log(`bench ${models.length} models`);
  const benchRecords: BenchRecord[] = await benchModels(models, { batches: [1, 32, 128], warmup: 5, reps: 20, ep: o.ep ?? 'auto' });
  const previous = store.read().filter((r) => r.kind === 'bench');
  if (previous.length === 0) for (const b of benchRecords) store.append(b);

  // 6. the report
  const runs = collectRuns(store.read(), datasetKey);
  const trainSeconds: Record<string, number[]> = {};
  for (const { act, seed } of jobs) {
    const mf = join(modelsDir, runName(act, seed), 'manifest.json');
    if (!existsSync(mf)) continue;
    const m = JSON.parse(readFileSync(mf, 'utf8')) as { activation: { name: string; expr: string }; timings: { trainSeconds: number } };
    const label = m.activation.name === 'custom' ? m.activation.expr : m.activation.name;
    (trainSeconds[label] ??= []).push(m.timings.trainSeconds);
  }
  writeFileAtomic(join(out, 'severity.svg'), await severityPlot(runs));
  writeFileAtomic(join(out, 'categories.svg'), await categoryPlot(runs));
  await plotActivations(acts, { out: join(out, 'activations.svg') });
  const baseline = runs.some((r) => r.activation === 'relu') ? 'relu' : undefined;
  const cmd = `npx actbench study --data ${data} --model ${model} --acts ${acts.join(',')} --seeds ${seeds.join(',')} --epochs ${epochs} --limit-train ${limitTrain} --test-images ${testImages}`;
  const md = robustnessMarkdown({
    title: `actbench study: ${acts.join(', ')} on ${data} (${model})`,
    intro: [
      `Each activation: ${model} trained in TF.js on ${limitTrain} ${data} training images for ${epochs} epochs (seeds ${seeds.join(', ')}), exported to ONNX and validated against TF.js, ` +
        `then evaluated on onnxruntime on the first ${test.labels.length} test images clean and under all 19 corruptions × 5 severities (generated by \`actbench corrupt\`, seed 0, CIFAR preset constants, procedural frost).`,
      `Provider: ${runs[0]?.provider ?? '–'}. Small data and few epochs: this shows the pipeline end to end; rankings need the full recipe and several seeds.`,
    ],
    runs,
    bench: benchRecords,
    baseline,
    trainSeconds,
    plots: { severity: 'severity.svg', categories: 'categories.svg', shapes: 'activations.svg' },
    reproduce: [cmd],
    machine: machineLine(machineInfo()),
  });
  const report = join(out, 'report.md');
  writeFileAtomic(report, md);
  return { report, seconds: (performance.now() - t0) / 1000 };
}
