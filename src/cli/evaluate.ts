/** `actbench eval`, `actbench bench`, `actbench study`. Parse flags, check every input, call the API, print. */
import { Option, type Command } from 'commander';
import { DEFAULT_STUDY_ACTS, DEFAULT_STUDY_SEEDS, runStudy } from '../api/study.js';
import { benchModels } from '../bench/models.js';
import type { ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { checkEvalContract, cifarCSource, evaluateModel, imagenetCSource, onTheFlySource, type EvalSource } from '../eval/evaluate.js';
import { corruptionErrorsVsAlexNet } from '../eval/metrics.js';
import { ActbenchError } from '../errors.js';
import { collectRuns, mainTable, nonFiniteSummary } from '../report/robustness.js';
import { ResultsStore, type EvalRecord } from '../results/store.js';
import { DEFAULT_OPT_LEVEL, EP_NAMES, OPT_LEVELS, type EpName, type OptLevel } from '../runtime/session.js';
import { assertDisjoint } from '../util/paths.js';
import { parseCorruptions, parseSeverities } from './corrupt.js';
import { progressBar, table } from './output.js';
import { specInputPaths } from '../data/spec.js';
import { choice, intList, positiveInt, seed, seedList, shape, wordList } from './parse-flags.js';


const usage = (message: string, field: string) => new ActbenchError('CLI_CONFLICTING_FLAGS', message, { field, exit: 2 });

interface EvalFlags {
  data: string;
  corrupted?: string;
  imagenetC?: string;
  corruptions: string;
  severity: string;
  seed: number;
  limit?: number;
  batch: number;
  ep: EpName;
  optLevel: OptLevel;
  fidelity?: boolean;
  results: string;
  alexnet?: boolean;
}

export function registerEval(program: Command): void {
  const evalCmd = program
    .command('eval <models...>')
    .description('clean and corrupted accuracy (top-1/top-5) of ONNX models; results appended to a store, reruns skip finished cells')
    .option('--data <spec>', 'clean data, corrupted on the fly: mnist | fashion-mnist | cifar10:DIR | cifar100:DIR | npy:I,L | folder:DIR', 'mnist')
    .addOption(new Option('--corrupted <dir>', 'a CIFAR-10-C style directory (released, or from actbench corrupt) instead of on-the-fly corruption').conflicts('imagenetC'))
    .addOption(new Option('--imagenet-c <dir>', 'an ImageNet-C / Tiny-ImageNet-C tree <corruption>/<severity>/<class>/<file> (clean accuracy with --data folder:VAL)').conflicts(['limit', 'seed']))
    .option('--corruptions <list>', 'comma list, or all | common | noise | blur | weather | digital | extra', 'all')
    .option('--severity <s>', '5 | 1-5 | 1,3,5 | all', 'all')
    .addOption(new Option('--seed <n>', 'seed of the on-the-fly corruptions').argParser(seed('--seed')).default(0).conflicts('corrupted'))
    .option('--limit <n>', `a class-stratified subset of n test images (split seed ${SPLIT_SEED}); the same images in every cell`, positiveInt('--limit'))
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 256)
    .option('--ep <name>', 'execution provider: auto (CUDA, else CPU) | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--opt-level <level>', 'graph optimisation: disabled | basic | extended | all', choice('--opt-level', OPT_LEVELS), DEFAULT_OPT_LEVEL)
    .option('--fidelity', 'also compare with the TF.js model next to each .onnx (agreement on corrupted images)')
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .option('--alexnet', 'also report CE/mCE against AlexNet’s published ImageNet-C errors (with --imagenet-c)');
  evalCmd.action(async (models: string[], f: EvalFlags) => {
    // flag combinations that would otherwise be silently ignored
    const given = (k: string) => evalCmd.getOptionValueSource(k) === 'cli';
    if (f.imagenetC && given('data') && !f.data.startsWith('folder:')) throw usage(`--imagenet-c takes its clean set from --data folder:VAL; --data ${f.data} would be ignored`, 'data');
    if (f.alexnet && !f.imagenetC) throw usage('--alexnet compares with AlexNet’s ImageNet-C errors: it needs --imagenet-c', 'alexnet');
    const corruptions = parseCorruptions(f.corruptions);
    const severities = parseSeverities(f.severity);
    // outputs never touch inputs; the store is checked (and a torn tail repaired) before any work
    assertDisjoint({ path: f.results, what: '--results' }, [
      ...models.map((m) => ({ path: m, what: 'model' })),
      ...specInputPaths(f.data),
      ...(f.corrupted ? [{ path: f.corrupted, what: '--corrupted directory' }] : []),
      ...(f.imagenetC ? [{ path: f.imagenetC, what: '--imagenet-c tree' }] : []),
    ]);
    const store = new ResultsStore(f.results, (l) => console.error(`actbench: ${l}`));
    store.prepareAppend();
    const lock = store.lock();
    try {
      const full: ImageSet | null = f.imagenetC && !f.data.startsWith('folder:') ? null : loadDataset(f.data).test;
      const source: EvalSource = f.imagenetC
        ? imagenetCSource(f.imagenetC, { corruptions: given('corruptions') ? corruptions : undefined, severities, batch: Math.min(f.batch, 64), clean: full ?? undefined })
        : f.corrupted
        ? cifarCSource(f.corrupted, { corruptions: given('corruptions') ? corruptions : undefined, severities: given('severity') ? severities : undefined, batch: f.batch, clean: full ?? undefined, limit: f.limit, cleanName: f.data })
        : onTheFlyFromFlags(full as ImageSet, f, corruptions, severities);
      try {
        // the model contract of every model against every label set, before evaluating any
        for (const m of models) checkEvalContract(m, source);
        const bar = progressBar('{model} |{bar}| {value}/{total} cells  {cell}');
        for (const m of models) {
          bar.start(source.cells.length, 0, { model: m, cell: '' });
          let k = 0;
          try {
            await evaluateModel(m, source, { ep: f.ep, optLevel: f.optLevel, store, fidelity: f.fidelity, onCell: (r, skipped) => bar.update(++k, { cell: `${r.corruption ?? 'clean'}${r.severity ? `/${r.severity}` : ''}${skipped ? ' (stored)' : ''}` }) });
          } finally {
            bar.stop();
          }
        }
      } finally {
        await source.close();
      }
      const records = store.read();
      const runs = collectRuns(records, source.key).filter((r) => models.some((m) => r.model === m));
      const { header, rows } = mainTable(runs);
      const t = table(header);
      rows.forEach((r) => t.push(r));
      console.log(t.toString());
      if (f.alexnet) for (const r of runs) console.log(`${r.activation}: mCE vs AlexNet ${((corruptionErrorsVsAlexNet(r.eval).mCE ?? NaN) * 100).toFixed(1)} %`);
      console.log(`images: ${source.key}`);
      console.log(`results: ${f.results} (provider ${runs[0]?.provider ?? '–'}); render with actbench report --results ${f.results} --dataset '${source.key}'`);
      const mine = records.filter((r): r is EvalRecord => r.kind === 'eval' && r.dataset === source.key && models.includes(r.model));
      const nf = nonFiniteSummary(mine);
      for (const line of nf.lines) console.error(`actbench: warning: ${line}`);
      if (nf.broken.length) {
        throw new ActbenchError('EVAL_NON_FINITE', `every prediction of ${nf.broken.join(', ')} was non-finite (NaN or ±Inf logits): their cells are stored as 0 % — the model is broken, not robust`, { file: nf.broken[0], field: 'logits' });
      }
    } finally {
      lock.release();
    }
  });

  program
    .command('bench <models...>')
    .description('throughput per batch size, latency percentiles, session-creation and first-run time, memory; models interleaved')
    .option('--batches <list>', 'batch sizes', intList('--batches'), [1, 8, 32, 128])
    .option('--warmup <n>', 'warm-up runs per batch size', positiveInt('--warmup'), 5)
    .option('--reps <n>', 'timed runs per batch size', positiveInt('--reps'), 30)
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--opt-level <level>', 'disabled | basic | extended | all', choice('--opt-level', OPT_LEVELS), DEFAULT_OPT_LEVEL)
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'))
    .option('--input-shape <c,h,w>', 'image size C,H,W for models whose input dimensions are dynamic', shape('--input-shape', 3))
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .action(async (models: string[], f: { batches: number[]; warmup: number; reps: number; ep: EpName; optLevel: OptLevel; threads?: number; inputShape?: number[]; results: string }) => {
      assertDisjoint({ path: f.results, what: '--results' }, models.map((m) => ({ path: m, what: 'model' })));
      const store = new ResultsStore(f.results, (l) => console.error(`actbench: ${l}`));
      store.prepareAppend();
      const bar = progressBar('bench |{bar}| {value}/{total} runs');
      let started = false;
      let records;
      try {
        records = await benchModels(models, {
          batches: f.batches, warmup: f.warmup, reps: f.reps, ep: f.ep, optLevel: f.optLevel, threads: f.threads, inputShape: f.inputShape as [number, number, number] | undefined,
          onProgress: (d, t) => {
            if (!started) bar.start(t, 0);
            started = true;
            bar.update(d);
          },
        });
      } finally {
        bar.stop();
      }
      const lock = store.lock();
      try {
        records.forEach((r) => store.append(r));
      } finally {
        lock.release();
      }
      const t = table(['model', 'activation', 'batch', 'img/s', 'p50 ms', 'p90 ms', 'p99 ms', 'CV', 'create ms', 'first run ms', 'RSS MiB', 'provider']);
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
    .option('--acts <list>', 'activations', wordList('--acts'), DEFAULT_STUDY_ACTS)
    .option('--seeds <list>', 'seeds', seedList('--seeds'), DEFAULT_STUDY_SEEDS)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 2)
    .option('--limit-train <n>', 'training images', positiveInt('--limit-train'), 6000)
    .option('--test-images <n>', 'test images (clean and corrupted)', positiveInt('--test-images'), 1000)
    .option('--out <dir>', 'report directory (default reports/study-<data>-<model>)')
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--queue <url>', 'train on `actbench worker`s of this queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: the directory every worker sees (the models directory inside it)')
    .action(async (f: { data?: string; model: string; acts: string[]; seeds: number[]; epochs: number; limitTrain: number; testImages: number; out?: string; ep: EpName; queue?: string; artifacts?: string }) => {
      const r = await runStudy({ ...f, log: (l) => console.error(l) });
      console.log(`report: ${r.report} (${(r.seconds / 60).toFixed(1)} min)`);
    });
}

function onTheFlyFromFlags(full: ImageSet, f: EvalFlags, corruptions: ReturnType<typeof parseCorruptions>, severities: number[]): EvalSource {
  const limited = f.limit !== undefined && f.limit < full.labels.length;
  const sub = limited ? stratifiedSubset(full, f.limit as number) : null;
  // per-image seeds come from each image's index in the full split: a --limit cell equals the same rows of a full corrupted set
  return onTheFlySource(sub ? sub.set : full, { name: f.data, corruptions, severities, seed: f.seed, batch: f.batch, selection: limited ? `stratified:${SPLIT_SEED}` : 'all', indices: sub?.indices });
}
