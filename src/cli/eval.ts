/** `actbench eval`: parse flags, check every input, call the evaluation, print. */
import { Option, type Command } from 'commander';
import type { ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { checkEvalContract, cifarCSource, evaluateModel, imagenetCSource, onTheFlySource, type EvalSource } from '../eval/evaluate.js';
import { alexnetLine, imagenetCCleanSet, missingCellsLine } from '../eval/imagenet-c.js';
import { corruptionErrorsVsAlexNet } from '../eval/metrics.js';
import { evalSourceSpec, openEvalJobs } from '../api/eval-jobs.js';
import { ActbenchError } from '../errors.js';
import { collectRuns, mainTable, nonFiniteSummary } from '../report/robustness.js';
import { ResultsStore, type EvalRecord } from '../results/store.js';
import { DEFAULT_OPT_LEVEL, EP_NAMES, OPT_LEVELS, type EpName, type OptLevel } from '../runtime/session.js';
import { assertDisjoint } from '../util/paths.js';
import { parseCorruptions, parseSeverities } from './corrupt.js';
import { progressBar, table } from './output.js';
import { specInputPaths } from '../data/spec.js';
import { choice, positiveInt, seed } from './parse-flags.js';


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
  queue?: string;
  artifacts?: string;
}

export function registerEval(program: Command): void {
  const evalCmd = program
    .command('eval <models...>')
    .description('clean and corrupted accuracy (top-1/top-5) of ONNX models; results appended to a store, reruns skip finished cells')
    .option('--data <spec>', 'clean data, corrupted on the fly: mnist | fashion-mnist | cifar10:DIR | cifar100:DIR | npy:I,L | folder:DIR | imagenet-val:DIR,LABELS', 'mnist')
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
    .option('--alexnet', 'also report CE/mCE against AlexNet’s published ImageNet-C errors (with --imagenet-c)')
    .option('--queue <url>', 'evaluate on `actbench worker`s of this queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: a directory every worker sees (the models inside it); without it, models up to 16 MiB travel through Redis');
  evalCmd.action(async (models: string[], f: EvalFlags) => {
    // flag combinations that would otherwise be silently ignored
    const given = (k: string) => evalCmd.getOptionValueSource(k) === 'cli';
    if (f.imagenetC && given('data') && !/^(folder|imagenet-val):/.test(f.data)) throw usage(`--imagenet-c takes its clean set from --data folder:VAL or imagenet-val:DIR,LABELS; --data ${f.data} would be ignored`, 'data');
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
      // an ImageNet-C tree's clean counterpart is the whole val set, not a hold-out of it
      const full: ImageSet | null = f.imagenetC ? (given('data') ? imagenetCCleanSet(f.data) : null) : loadDataset(f.data).test;
      const source: EvalSource = f.imagenetC
        ? imagenetCSource(f.imagenetC, { corruptions: given('corruptions') ? corruptions : undefined, severities, batch: Math.min(f.batch, 64), clean: full ?? undefined })
        : f.corrupted
        ? cifarCSource(f.corrupted, { corruptions: given('corruptions') ? corruptions : undefined, severities: given('severity') ? severities : undefined, batch: f.batch, clean: full ?? undefined, limit: f.limit, cleanName: f.data })
        : onTheFlyFromFlags(full as ImageSet, f, corruptions, severities);
      const spec = f.queue ? evalSourceSpec({ ...f, corruptions, severities, given: { corruptions: given('corruptions'), severity: given('severity') } }) : null;
      const jobs = f.queue && spec ? await openEvalJobs({ queue: f.queue, artifacts: f.artifacts, results: f.results, spec, fidelity: f.fidelity, log: (l) => console.error(l) }) : null;
      try {
        // the model contract of every model against every label set, before evaluating any
        for (const m of models) checkEvalContract(m, source);
        const bar = progressBar('{model} |{bar}| {value}/{total} cells  {cell}');
        for (const m of models) {
          bar.start(source.cells.length, 0, { model: m, cell: '' });
          let k = 0;
          try {
            const o = { ep: f.ep, optLevel: f.optLevel, store, fidelity: f.fidelity, onCell: (r: EvalRecord, skipped: boolean) => bar.update(++k, { cell: `${r.corruption ?? 'clean'}${r.severity ? `/${r.severity}` : ''}${skipped ? ' (stored)' : ''}` }) };
            await (jobs ? jobs.evaluate(m, source, o) : evaluateModel(m, source, o));
          } finally {
            bar.stop();
          }
        }
      } finally {
        await source.close();
        await jobs?.close();
      }
      const records = store.read();
      const runs = collectRuns(records, source.key).filter((r) => models.some((m) => r.model === m));
      const { header, rows } = mainTable(runs);
      const t = table(header);
      rows.forEach((r) => t.push(r));
      console.log(t.toString());
      const missing = missingCellsLine(source.missing);
      if (missing) console.log(missing);
      if (f.alexnet) for (const r of runs) console.log(alexnetLine(r.activation, corruptionErrorsVsAlexNet(r.eval)));
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
}

function onTheFlyFromFlags(full: ImageSet, f: EvalFlags, corruptions: ReturnType<typeof parseCorruptions>, severities: number[]): EvalSource {
  const limited = f.limit !== undefined && f.limit < full.labels.length;
  const sub = limited ? stratifiedSubset(full, f.limit as number) : null;
  // per-image seeds come from each image's index in the full split: a --limit cell equals the same rows of a full corrupted set
  return onTheFlySource(sub ? sub.set : full, { name: f.data, corruptions, severities, seed: f.seed, batch: f.batch, selection: limited ? `stratified:${SPLIT_SEED}` : 'all', indices: sub?.indices });
}
