/** `actbench eval`, `actbench bench`, `actbench study`. Parse flags, call the API, print. */
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { DEFAULT_STUDY_ACTS, runStudy } from '../api/study.js';
import { benchModels } from '../bench/models.js';
import { subset } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { cifarCSource, evaluateModel, imagenetCSource, onTheFlySource, type EvalSource } from '../eval/evaluate.js';
import { corruptionErrorsVsAlexNet } from '../eval/metrics.js';
import { collectRuns, mainTable } from '../report/robustness.js';
import { ResultsStore } from '../results/store.js';
import { parseEp, type EpName, type OptLevel } from '../runtime/session.js';
import { parseCorruptions, parseSeverities } from './corrupt.js';
import { intList, positiveInt } from './parse-flags.js';

const OPT_LEVELS: OptLevel[] = ['disabled', 'basic', 'extended', 'all'];
const parseOpt = (v: string): OptLevel => {
  if (!OPT_LEVELS.includes(v as OptLevel)) throw new Error(`--opt-level must be one of ${OPT_LEVELS.join(', ')}, got '${v}'`);
  return v as OptLevel;
};

export function registerEval(program: Command): void {
  program
    .command('eval <models...>')
    .description('clean and corrupted accuracy (top-1/top-5) of ONNX models; results appended to a store, reruns skip finished cells')
    .option('--data <spec>', 'clean data, corrupted on the fly: mnist | fashion-mnist | cifar10:DIR | cifar100:DIR | npy:I,L | folder:DIR', 'mnist')
    .option('--corrupted <dir>', 'a CIFAR-10-C style directory (released, or from actbench corrupt) instead of on-the-fly corruption')
    .option('--imagenet-c <dir>', 'an ImageNet-C / Tiny-ImageNet-C tree <corruption>/<severity>/<class>/<file> (clean accuracy needs --data folder:VAL)')
    .option('--corruptions <list>', 'comma list, or all | common | noise | blur | weather | digital | extra', 'all')
    .option('--severity <s>', '5 | 1-5 | 1,3,5 | all', 'all')
    .option('--seed <n>', 'seed of the on-the-fly corruptions', (v) => Number.parseInt(v, 10), 0)
    .option('--limit <n>', 'first n test images', positiveInt('--limit'))
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 256)
    .option('--ep <name>', 'execution provider: auto (CUDA, else CPU) | cuda | webgpu | cpu', parseEp, 'auto')
    .option('--opt-level <level>', 'graph optimisation: disabled | basic | extended | all', parseOpt, 'basic')
    .option('--fidelity', 'also compare with the TF.js model next to each .onnx (agreement on corrupted images)')
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .option('--alexnet', 'also report CE/mCE against AlexNet’s published ImageNet-C errors')
    .action(async (models: string[], f: { data: string; corrupted?: string; imagenetC?: string; corruptions: string; severity: string; seed: number; limit?: number; batch: number; ep: EpName; optLevel: OptLevel; fidelity?: boolean; results: string; alexnet?: boolean }) => {
      const corruptions = parseCorruptions(f.corruptions);
      const severities = parseSeverities(f.severity);
      const ds = f.imagenetC && !f.data.startsWith('folder:') ? null : loadDataset(f.data);
      const clean = !ds ? null : f.limit && f.limit < ds.test.labels.length ? subset(ds.test, Array.from({ length: f.limit }, (_, k) => k), 'test') : ds.test;
      const store = new ResultsStore(f.results);
      const bar = new SingleBar({ format: '{model} |{bar}| {value}/{total} cells  {cell}', hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000 }, Presets.shades_classic);
      for (const m of models) {
        const source: EvalSource = f.imagenetC
          ? imagenetCSource(f.imagenetC, { corruptions: f.corruptions === 'all' ? undefined : corruptions, severities, batch: Math.min(f.batch, 64) })
          : f.corrupted
          ? cifarCSource(f.corrupted, { corruptions: f.corruptions === 'all' ? undefined : corruptions, severities: f.severity === 'all' ? undefined : severities, batch: f.batch, clean: clean ?? undefined })
          : onTheFlySource(clean as NonNullable<typeof clean>, { name: f.data, corruptions, severities, seed: f.seed, batch: f.batch });
        bar.start(source.cells.length, 0, { model: m, cell: '' });
        let k = 0;
        try {
          await evaluateModel(m, source, { ep: f.ep, optLevel: f.optLevel, store, fidelity: f.fidelity, onCell: (r, skipped) => bar.update(++k, { cell: `${r.corruption ?? 'clean'}${r.severity ? `/${r.severity}` : ''}${skipped ? ' (stored)' : ''}` }) });
        } finally {
          bar.stop();
          await source.close();
        }
      }
      const runs = collectRuns(store.read()).filter((r) => models.some((m) => r.model === m));
      const { header, rows } = mainTable(runs);
      const t = new Table({ head: header });
      rows.forEach((r) => t.push(r));
      console.log(t.toString());
      if (f.alexnet) for (const r of runs) console.log(`${r.activation}: mCE vs AlexNet ${((corruptionErrorsVsAlexNet(r.eval).mCE ?? NaN) * 100).toFixed(1)} %`);
      console.log(`results: ${f.results} (provider ${runs[0]?.provider ?? '–'}); render with actbench report --results ${f.results}`);
    });

  program
    .command('bench <models...>')
    .description('throughput per batch size, latency percentiles, session-creation and first-run time, memory; models interleaved')
    .option('--batches <list>', 'batch sizes', intList('--batches'), [1, 8, 32, 128])
    .option('--warmup <n>', 'warm-up runs per batch size', positiveInt('--warmup'), 5)
    .option('--reps <n>', 'timed runs per batch size', positiveInt('--reps'), 30)
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', parseEp, 'auto')
    .option('--opt-level <level>', 'disabled | basic | extended | all', parseOpt, 'basic')
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'))
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .action(async (models: string[], f: { batches: number[]; warmup: number; reps: number; ep: EpName; optLevel: OptLevel; threads?: number; results: string }) => {
      const bar = new SingleBar({ format: 'bench |{bar}| {value}/{total} runs', hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000 }, Presets.shades_classic);
      let started = false;
      const records = await benchModels(models, {
        batches: f.batches, warmup: f.warmup, reps: f.reps, ep: f.ep, optLevel: f.optLevel, threads: f.threads,
        onProgress: (d, t) => {
          if (!started) bar.start(t, 0);
          started = true;
          bar.update(d);
        },
      });
      bar.stop();
      const store = new ResultsStore(f.results);
      records.forEach((r) => store.append(r));
      const t = new Table({ head: ['model', 'activation', 'batch', 'img/s', 'p50 ms', 'p90 ms', 'p99 ms', 'CV', 'create ms', 'first run ms', 'RSS MiB', 'provider'] });
      for (const r of records) {
        t.push([r.model, r.activation ?? '–', r.batch, r.imagesPerSecond.toFixed(0), r.latencyMs.p50.toFixed(3), r.latencyMs.p90.toFixed(3), r.latencyMs.p99.toFixed(3), r.latencyMs.cv.toFixed(2), r.sessionCreateMs.toFixed(1), r.firstRunMs.toFixed(1), r.rssMiB.toFixed(1), r.provider + (r.fallbackReason ? ' (fallback)' : '')]);
      }
      console.log(t.toString());
      if (records[0]?.fallbackReason) console.log(`requested ${records[0].requestedProvider}: ${records[0].fallbackReason}`);
      console.log(`results: ${f.results} (graph optimisation ${f.optLevel}, onnxruntime ${records[0]?.onnxruntime})`);
    });

  program
    .command('study')
    .description('the whole pipeline in one command: train, export, validate, corrupt, evaluate, benchmark, report')
    .option('--data <spec>', 'mnist | fashion-mnist | cifar10:DIR … (default: fashion-mnist when Debian’s package is installed, else mnist)')
    .option('--model <name>', 'zoo model', 'cnn_small')
    .option('--acts <list>', 'activations', (v) => v.split(',').map((s) => s.trim()), DEFAULT_STUDY_ACTS)
    .option('--seeds <list>', 'seeds', intList('--seeds'), [1])
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 2)
    .option('--limit-train <n>', 'training images', positiveInt('--limit-train'), 6000)
    .option('--test-images <n>', 'test images (clean and corrupted)', positiveInt('--test-images'), 1000)
    .option('--out <dir>', 'report directory (default reports/study-<data>-<model>)')
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', parseEp, 'auto')
    .action(async (f: { data?: string; model: string; acts: string[]; seeds: number[]; epochs: number; limitTrain: number; testImages: number; out?: string; ep: EpName }) => {
      const r = await runStudy({ ...f, log: (l) => console.error(l) });
      console.log(`report: ${r.report} (${(r.seconds / 60).toFixed(1)} min)`);
    });
}
