/**
 * `runEval`: clean and corrupted accuracy of ONNX models into a results store — the orchestration behind
 * `actbench eval` (the CLI only parses flags, calls this and prints). Every input is checked before any
 * work: paths (outputs never touch inputs), the store, the data, the preprocessing and every model's
 * contract against every label set. Finished cells (same model hash, images and preprocessing) are
 * skipped, so a killed run resumes.
 */
import { getCorruptionNames, type CorruptionName } from '../corrupt/index.js';
import type { ImageSet } from '../data/dataset.js';
import { checkPreprocessRequest, describePreprocess, type ImageTransform, type PreprocessRequest, type ResolvedPreprocess } from '../data/preprocess.js';
import { loadDataset } from '../data/sources.js';
import { specInputPaths } from '../data/spec.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { checkEvalContract, cifarCSource, evaluateModel, imagenetCSource, onTheFlySource, readModelInfo, type EvalSource } from '../eval/evaluate.js';
import { imagenetCCleanSet } from '../eval/imagenet-c.js';
import { ActbenchError } from '../errors.js';
import { collectRuns, nonFiniteSummary, type ModelRun } from '../report/robustness.js';
import { ResultsStore, type EvalRecord } from '../results/store.js';
import { DEFAULT_OPT_LEVEL, type EpName, type OptLevel } from '../runtime/session.js';
import { evalSourceSpec, openEvalJobs } from './eval-jobs.js';
import { assertDisjoint } from '../util/paths.js';

export interface RunEvalOptions {
  models: string[];
  /** clean data (a --data spec); corrupted on the fly unless `corrupted` / `imagenetC` (default mnist) */
  data?: string;
  /** a CIFAR-10-C style directory */
  corrupted?: string;
  /** an ImageNet-C tree; its clean cell comes from `data` when that is a folder: */
  imagenetC?: string;
  /** clean accuracy only (top-1/top-5, loss, ECE): no corrupted cells */
  clean?: boolean;
  /** default: every corruption (on the fly) or what the directory holds */
  corruptions?: CorruptionName[];
  /** default: 1–5 (on the fly, ImageNet-C) or what the directory holds */
  severities?: number[];
  /** seed of the on-the-fly corruptions */
  seed?: number;
  /** a class-stratified subset of n test images (split seed SPLIT_SEED) */
  limit?: number;
  batch?: number;
  ep?: EpName;
  optLevel?: OptLevel;
  fidelity?: boolean;
  /** the results store (JSON lines) */
  results: string;
  /** preprocessing over each model's metadata (flags: --preprocess, --mean, …) */
  preprocess?: PreprocessRequest;
  /** lines for the user (stderr in the CLI) */
  log?: (line: string) => void;
  /** a model's cells start */
  onModel?: (model: string, cells: number) => void;
  onCell?: (model: string, r: EvalRecord, skipped: boolean) => void;
  onModelDone?: (model: string) => void;
  /** evaluate on `actbench worker`s of this queue (redis://…); workers rebuild the images from the data spec */
  queue?: string;
  /** with `queue`: a directory every worker sees (else models up to 16 MiB travel through Redis) */
  artifacts?: string;
}

export interface EvalRun {
  /** the dataset key in the store (`actbench report --dataset`) */
  dataset: string;
  /** this run's records (stored or computed), per model in cell order */
  records: EvalRecord[];
  /** the models' runs as the report groups them */
  runs: ModelRun[];
  /** what each model was fed */
  preprocess: { model: string; preprocess: ResolvedPreprocess }[];
  /** non-finite prediction warnings */
  warnings: string[];
  /** (corruption, severity) cells asked for that the ImageNet-C tree does not hold: not evaluated */
  missing: { corruption: CorruptionName; severity: number }[];
  /** models whose every prediction was non-finite: stored as 0 %, broken rather than robust (the CLI exits 1) */
  broken: string[];
}

/** The error for models whose every prediction was non-finite (after their cells are stored and shown). */
export function nonFiniteError(broken: string[]): ActbenchError {
  return new ActbenchError('EVAL_NON_FINITE', `every prediction of ${broken.join(', ')} was non-finite (NaN or ±Inf logits): their cells are stored as 0 % — the model is broken, not robust`, { file: broken[0], field: 'logits' });
}

const conflict = (message: string, field: string) => new ActbenchError('CLI_CONFLICTING_FLAGS', message, { field, exit: 2 });

/** The resize/crop every model agrees on: flags, else the models' metadata (one dataset is decoded for all). */
function imageTransform(models: string[], pre: { model: string; preprocess: ResolvedPreprocess }[]): ImageTransform | undefined {
  const key = (t?: ImageTransform) => JSON.stringify(t ?? null);
  const first = pre[0]?.preprocess.image;
  const other = pre.find((p) => key(p.preprocess.image) !== key(first));
  if (other) {
    throw new ActbenchError('PREPROCESS_MODELS_DISAGREE', `${models[0]} and ${other.model} ask for different resize/crop (${key(first)} vs ${key(other.preprocess.image)} from their metadata); evaluate them separately or give --resize/--center-crop`, { file: other.model, field: 'resize' });
  }
  return first;
}

export async function runEval(o: RunEvalOptions): Promise<EvalRun> {
  const log = o.log ?? (() => {});
  const data = o.data ?? 'mnist';
  // image files (resize/crop apply); an ImageNet-C tree's own images are used at their size
  const isFolder = o.data !== undefined && /^(folder|imagenet-val):/.test(data);
  if (o.models.length === 0) throw new ActbenchError('CLI_MISSING_ARGUMENT', 'no model to evaluate', { field: 'models', exit: 2 });
  if (o.clean && (o.corrupted || o.imagenetC)) throw conflict(`--clean evaluates the clean set only; ${o.corrupted ? '--corrupted' : '--imagenet-c'} would be ignored`, 'clean');
  if (o.clean && (o.corruptions || o.severities)) throw conflict('--clean evaluates the clean set only; --corruptions/--severity would be ignored', 'clean');
  if (o.preprocess) checkPreprocessRequest(o.preprocess);
  if (o.queue && o.preprocess && Object.values(o.preprocess).some((v) => v !== undefined)) {
    // workers rebuild the source from the data spec and read each model's own metadata: flags would not reach them
    throw new ActbenchError('QUEUE_UNSUPPORTED', '--queue does not take preprocessing flags yet (--preprocess, --mean, --std, …): put them in the model\'s actbench.preprocess metadata (docs/preprocessing.md) or run without --queue', { field: '--queue', exit: 2 });
  }
  // outputs never touch inputs; the store is checked (and a torn tail repaired) before any work
  assertDisjoint({ path: o.results, what: '--results' }, [
    ...o.models.map((m) => ({ path: m, what: 'model' })),
    ...specInputPaths(data),
    ...(o.corrupted ? [{ path: o.corrupted, what: '--corrupted directory' }] : []),
    ...(o.imagenetC ? [{ path: o.imagenetC, what: '--imagenet-c tree' }] : []),
  ]);
  // each model's preprocessing (flags over its metadata), read before the data: resize/crop decide how folders decode
  let request: PreprocessRequest | undefined = o.preprocess;
  // each model read once here (its preprocessing, inputs, metadata); `pre` is what the result reports
  let infos = o.models.map((m) => readModelInfo(m, request));
  let pre = infos.map((info, k) => ({ model: o.models[k], preprocess: info.preprocess }));
  let image = imageTransform(o.models, pre);
  if (image && !isFolder) {
    // a preset's or the metadata's resize is for image files; array data is already sized
    const explicit = o.preprocess?.resize !== undefined || o.preprocess?.centerCrop !== undefined;
    if (explicit) throw new ActbenchError('PREPROCESS_RESIZE_NOT_FOLDER', `--resize/--center-crop apply to folder: images (decoded from files); --data ${data} is stored at its size`, { field: o.preprocess?.centerCrop !== undefined ? 'center-crop' : 'resize', exit: 2 });
    log(`preprocessing: the ${pre[0].preprocess.origin.image}'s resize/crop is not applied: ${o.imagenetC && o.data === undefined ? `the ${o.imagenetC} tree's images are used at their size` : `--data ${data} is not a folder of image files`}`);
    // what the records say is what was done: no resize/crop
    request = { ...o.preprocess, image: false };
    infos = o.models.map((m) => readModelInfo(m, request));
    pre = infos.map((info, k) => ({ model: o.models[k], preprocess: info.preprocess }));
    image = undefined;
  }
  for (const p of pre) log(`preprocessing ${p.model}: ${describePreprocess(p.preprocess)}`);
  if (image && o.imagenetC) log(`preprocessing: the resize/crop applies to the clean set; the ${o.imagenetC} tree's images are fed at their stored size (resized and cropped when the tree was made), and their records say so`);
  for (const info of infos) {
    const m = info.path;
    // a model from elsewhere fed raw [0, 1] pixels: right only if it was trained that way (a silent 30-point loss otherwise)
    const float = info.desc.inputs[0]?.elemType === 1;
    if (float && info.activation === undefined && info.preprocess.origin.mean === 'default' && info.preprocess.origin.std === 'default') {
      log(`warning: ${m} has no actbench metadata and no --mean/--std/--preprocess was given: it is fed pixels in [0, 1] without normalisation; if it was trained with normalisation (torchvision, timm: --preprocess imagenet) its numbers will be wrong`);
    }
  }

  const store = new ResultsStore(o.results, log);
  store.prepareAppend();
  const lock = store.lock();
  try {
    // an ImageNet-C tree's clean counterpart is the whole val set, not a hold-out of it
    const full: ImageSet | null = o.imagenetC ? (o.data !== undefined ? imagenetCCleanSet(o.data, image) : null) : loadDataset(data, { image }).test;
    const batch = o.batch ?? 256;
    const source: EvalSource = o.imagenetC
      ? imagenetCSource(o.imagenetC, { corruptions: o.corruptions, severities: o.severities, batch: Math.min(batch, 64), clean: full ?? undefined })
      : o.corrupted
      ? cifarCSource(o.corrupted, { corruptions: o.corruptions, severities: o.severities, batch, clean: full ?? undefined, limit: o.limit, cleanName: data })
      : onTheFly(full as ImageSet, data, o, batch);
    const given = { corruptions: o.corruptions !== undefined, severity: o.severities !== undefined, data: o.data !== undefined };
    const spec = o.queue ? evalSourceSpec({ data, corrupted: o.corrupted, imagenetC: o.imagenetC, corruptions: o.clean ? [] : o.corruptions ?? getCorruptionNames('all'), severities: o.clean ? [] : o.severities ?? [1, 2, 3, 4, 5], given, seed: o.seed ?? 0, batch, limit: o.limit, image }) : null;
    const jobs = o.queue && spec ? await openEvalJobs({ queue: o.queue, artifacts: o.artifacts, results: o.results, spec, fidelity: o.fidelity, log }) : null;
    const mine: EvalRecord[] = [];
    try {
      // the model contract of every model against every label set, before evaluating any
      for (const m of o.models) checkEvalContract(m, source, request);
      for (const m of o.models) {
        o.onModel?.(m, source.cells.length);
        try {
          const onCell = (r: EvalRecord, skipped: boolean) => o.onCell?.(m, r, skipped);
          const recs = jobs
            ? await jobs.evaluate(m, source, { ep: o.ep ?? 'auto', optLevel: o.optLevel ?? DEFAULT_OPT_LEVEL, store, fidelity: o.fidelity, onCell })
            : await evaluateModel(m, source, { ep: o.ep, optLevel: o.optLevel, store, fidelity: o.fidelity, preprocess: request, onCell });
          mine.push(...recs);
        } finally {
          o.onModelDone?.(m);
        }
      }
    } finally {
      await source.close();
      await jobs?.close();
    }
    const runs = collectRuns(store.read(), source.key).filter((r) => o.models.includes(r.model));
    const nf = nonFiniteSummary(mine);
    return { dataset: source.key, records: mine, runs, preprocess: pre, warnings: nf.lines, broken: nf.broken, missing: source.missing ?? [] };
  } finally {
    lock.release();
  }
}

function onTheFly(full: ImageSet, name: string, o: RunEvalOptions, batch: number): EvalSource {
  const limited = o.limit !== undefined && o.limit < full.labels.length;
  const sub = limited ? stratifiedSubset(full, o.limit as number) : null;
  // per-image seeds come from each image's index in the full split: a --limit cell equals the same rows of a full corrupted set
  return onTheFlySource(sub ? sub.set : full, {
    name, corruptions: o.clean ? [] : o.corruptions ?? getCorruptionNames('all'), severities: o.clean ? [] : o.severities ?? [1, 2, 3, 4, 5], seed: o.seed ?? 0, batch,
    selection: limited ? `stratified:${SPLIT_SEED}` : 'all', indices: sub?.indices,
  });
}
