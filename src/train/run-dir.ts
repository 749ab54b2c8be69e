/**
 * The run directory written by `actbench train` (models/<name>/), and the one reader of its manifest.json:
 *   manifest.json   what the run was made with and what it gave (written last, when training ends)
 *   model.json + weights.bin   the trained TF.js model
 *   log.jsonl       one line per finished epoch, rebuilt from the checkpoint's history (never ahead of it)
 *   checkpoint/     state.json (epoch, history, the run recipe) + the files of the last finished epoch;
 *                   removed when the run finishes
 *   export.json, model.onnx    written by `actbench export`
 * Every other module reads runs through here (no inline JSON.parse of a manifest).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivationDef } from '../acts/define.js';
import type { Normalisation } from '../data/split.js';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { LOCK_FILE } from '../util/lock.js';
import type { EpochLog, TrainState } from './loop.js';
import { readCheckpointState } from './loop.js';
import { validateRecipe, type Recipe } from './recipe.js';

export const RUN_FILES = {
  manifest: 'manifest.json',
  model: 'model.json',
  weights: 'weights.bin',
  log: 'log.jsonl',
  checkpoint: 'checkpoint',
  export: 'export.json',
  onnx: 'model.onnx',
} as const;

export function runPaths(dir: string): { [K in keyof typeof RUN_FILES]: string } & { state: string } {
  const p = Object.fromEntries(Object.entries(RUN_FILES).map(([k, f]) => [k, join(dir, f)])) as { [K in keyof typeof RUN_FILES]: string };
  return { ...p, state: join(dir, RUN_FILES.checkpoint, 'state.json') };
}

/** Images per class label (keys are the labels as strings), as corrupt's manifest records them. */
export type PerClass = Record<string, number>;

export interface Manifest {
  name: string;
  model: string;
  width: number;
  dropout: number;
  activation: ActivationDef;
  dataset: {
    spec: string;
    source: string;
    train: number;
    val: number;
    test: number;
    inputShape: [number, number, number];
    numClasses: number;
    classNames?: string[];
    /** --limit-train / --limit-test as requested (null: none); absent in manifests of older versions */
    limitTrain?: number | null;
    limitTest?: number | null;
    /** the seed of the test hold-out, the validation split and the subsets: fixed, never the run seed */
    splitSeed?: number;
    perClass?: { train: PerClass; val: PerClass; test: PerClass };
  };
  normalisation: Normalisation;
  recipe: Recipe;
  seed: number;
  backend: string;
  /** what ran underneath the backend, e.g. 'TensorFlow 2.21.0 (@tensorflow/tfjs-node 4.22.0)' (absent in older manifests) */
  backendVersion?: string;
  params: number;
  macs: number;
  timings: { trainSeconds: number; imagesPerSecond: number };
  result: { epochs: number; valAcc: number | null; testAcc: number | null; stopped: TrainState['stopped'] };
  created: string;
  weightsSha256: string;
}

/**
 * What makes two trainings the same run: `--resume` continues a checkpoint only when its recipe equals the
 * request's field for field (util/same-run.ts names the differences).
 */
export interface RunRecipe {
  model: string;
  width: number;
  dropout: number;
  /** the activation with its constants and parameter declarations */
  activation: ActivationDef;
  data: { spec: string; limitTrain: number | null; limitTest: number | null; splitSeed: number };
  seed: number;
  recipe: Recipe;
}

export function runRecipe(m: Manifest): RunRecipe {
  return {
    model: m.model,
    width: m.width,
    dropout: m.dropout,
    activation: m.activation,
    data: { spec: m.dataset.spec, limitTrain: m.dataset.limitTrain ?? null, limitTest: m.dataset.limitTest ?? null, splitSeed: m.dataset.splitSeed as number },
    seed: m.seed,
    recipe: m.recipe,
  };
}

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int0: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const numOrNull: Check = (v) => v === null || num(v);
const intOrNull: Check = (v) => v === null || (Number.isInteger(v) && (v as number) >= 1);
const numbers: Check = (v) => Array.isArray(v) && v.every(num);
const perClass: Check = (v) => isObj(v) && Object.entries(v).every(([k, n]) => /^\d+$/.test(k) && int0(n));

/** manifest.json of a run, validated field by field: a coded error names the file and the field. */
export function readRunManifest(dir: string): Manifest {
  const p = join(dir, RUN_FILES.manifest);
  if (!existsSync(p)) throw new ActbenchError('MODEL_NO_MANIFEST', `${p} not found: expected a run directory written by 'actbench train'`, { file: p });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ActbenchError('MODEL_BAD_MANIFEST', `${p} is not valid JSON (${e.message})`, { file: p });
    throw fsError(e, p, 'read the run manifest');
  }
  const bad = (field: string, expected: string): never => {
    throw new ActbenchError('MODEL_BAD_MANIFEST', `${p}: ${field} must be ${expected}`, { file: p, field });
  };
  if (!isObj(raw)) bad('(root)', 'an object');
  const m = raw as Record<string, unknown>;
  const need = (obj: Record<string, unknown>, prefix: string, fields: [string, Check, string][]) => {
    for (const [f, ok, expected] of fields) if (!ok(obj[f])) bad(`${prefix}${f}`, expected);
  };
  need(m, '', [
    ['name', str, 'a string'], ['model', str, 'a model name'], ['width', (v) => num(v) && (v as number) > 0, 'a number > 0'],
    ['dropout', (v) => num(v) && (v as number) >= 0 && (v as number) < 1, 'a number in [0, 1)'], ['activation', isObj, 'an activation definition'],
    ['dataset', isObj, 'an object'], ['normalisation', isObj, 'an object'], ['recipe', isObj, 'an object'],
    ['seed', (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 32 - 1, 'an integer in [0, 2³²−1]'], ['backend', str, 'a string'],
    ['params', int0, 'an integer ≥ 0'], ['macs', int0, 'an integer ≥ 0'], ['timings', isObj, 'an object'], ['result', isObj, 'an object'],
    ['created', str, 'a date string'], ['weightsSha256', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), 'a SHA-256 in hex'],
  ]);
  const act = m.activation as Record<string, unknown>;
  need(act, 'activation.', [['name', str, 'a string'], ['expr', str, 'a string'], ['constants', (v) => isObj(v) && Object.values(v).every(num), 'an object of finite numbers'], ['params', isObj, 'an object']]);
  const ds = m.dataset as Record<string, unknown>;
  need(ds, 'dataset.', [
    ['spec', str, 'a --data spec'], ['source', str, 'a string'], ['train', int0, 'an integer ≥ 0'], ['val', int0, 'an integer ≥ 0'], ['test', int0, 'an integer ≥ 0'],
    ['inputShape', (v) => Array.isArray(v) && v.length === 3 && v.every((d) => Number.isInteger(d) && d >= 1), '[H, W, C] of positive integers'],
    ['numClasses', (v) => Number.isInteger(v) && (v as number) >= 2, 'an integer ≥ 2'],
  ]);
  if (ds.classNames !== undefined && !(Array.isArray(ds.classNames) && ds.classNames.length === ds.numClasses && ds.classNames.every(str))) bad('dataset.classNames', `${String(ds.numClasses)} class names`);
  if (ds.limitTrain !== undefined && !intOrNull(ds.limitTrain)) bad('dataset.limitTrain', 'null or an integer ≥ 1');
  if (ds.limitTest !== undefined && !intOrNull(ds.limitTest)) bad('dataset.limitTest', 'null or an integer ≥ 1');
  if (ds.splitSeed !== undefined && !int0(ds.splitSeed)) bad('dataset.splitSeed', 'an integer ≥ 0');
  if (ds.perClass !== undefined) {
    if (!isObj(ds.perClass)) bad('dataset.perClass', '{ train, val, test }');
    need(ds.perClass as Record<string, unknown>, 'dataset.perClass.', [['train', perClass, 'images per class label'], ['val', perClass, 'images per class label'], ['test', perClass, 'images per class label']]);
  }
  const channels = (ds.inputShape as number[])[2];
  const norm = m.normalisation as Record<string, unknown>;
  need(norm, 'normalisation.', [
    ['mean', (v) => numbers(v) && (v as number[]).length === channels, `${channels} finite numbers`],
    ['std', (v) => numbers(v) && (v as number[]).length === channels && (v as number[]).every((x) => x > 0), `${channels} numbers > 0`],
  ]);
  try {
    validateRecipe(m.recipe as unknown as Recipe);
  } catch (e) {
    const err = e as ActbenchError;
    bad(`recipe.${err.field ?? ''}`, err.message.replace(/^[^:]*: /, ''));
  }
  const rec = m.recipe as Record<string, unknown>;
  need(rec, 'recipe.', [
    ['schedule', (v) => v === 'step' || v === 'cosine' || v === 'constant', 'step, cosine or constant'], ['augment', (v) => v === 'cifar' || v === 'none', 'cifar or none'],
    ['milestones', numbers, 'a list of numbers'], ['gamma', num, 'a number'], ['warmupEpochs', num, 'a number'], ['clipNorm', num, 'a number'], ['nesterov', (v) => typeof v === 'boolean', 'true or false'],
  ]);
  need(m.timings as Record<string, unknown>, 'timings.', [['trainSeconds', num, 'a number'], ['imagesPerSecond', num, 'a number']]);
  const res = m.result as Record<string, unknown>;
  need(res, 'result.', [['epochs', int0, 'an integer ≥ 0'], ['valAcc', numOrNull, 'null or a number'], ['testAcc', numOrNull, 'null or a number']]);
  const st = res.stopped;
  if (st !== null && !(isObj(st) && int0(st.epoch) && int0(st.step) && str(st.reason))) bad('result.stopped', 'null or { epoch, step, reason }');
  return raw as Manifest;
}

export function writeRunManifest(dir: string, m: Manifest): void {
  const p = join(dir, RUN_FILES.manifest);
  try {
    writeFileAtomic(p, JSON.stringify(m, null, 2));
  } catch (e) {
    throw fsError(e, p, 'write the run manifest');
  }
}

/** log.jsonl from the history of the checkpoint just written, so the log never disagrees with it. */
export function writeRunLog(dir: string, history: EpochLog[]): void {
  const p = join(dir, RUN_FILES.log);
  try {
    writeFileAtomic(p, history.map((h) => JSON.stringify(h) + '\n').join(''));
  } catch (e) {
    throw fsError(e, p, 'write the training log');
  }
}

/** A run that trained every planned epoch without stopping (its manifest says so, its checkpoint is gone). */
export function isFinishedRun(dir: string): boolean {
  if (!existsSync(join(dir, RUN_FILES.manifest))) return false;
  const m = readRunManifest(dir);
  return m.result.stopped === null && m.result.epochs >= m.recipe.epochs && !existsSync(runPaths(dir).state);
}

export type RunDirState =
  | { kind: 'absent' }
  /** exists, holding nothing but a lock, temporary files or an incomplete first checkpoint */
  | { kind: 'empty' }
  | { kind: 'finished'; manifest: Manifest }
  /** stopped on a non-finite loss (manifest written), maybe with a checkpoint to resume from */
  | { kind: 'stopped'; manifest: Manifest; checkpoint: boolean; run: unknown }
  /** a checkpoint, no final manifest: killed or still to be continued */
  | { kind: 'unfinished'; epoch: number; run: unknown }
  /** non-empty and not a run (a user's directory) */
  | { kind: 'foreign'; entries: string[] };

const isDebris = (f: string) => f === LOCK_FILE || /^\..+\.\d+\.tmp$/.test(f);

/** What an --out directory holds; a corrupted manifest.json or state.json is a coded error naming it. */
export function inspectRunDir(dir: string): RunDirState {
  if (!existsSync(dir)) return { kind: 'absent' };
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ActbenchError('OUTPUT_NOT_DIR', `--out ${dir} is a file; a run is written to a directory`, { file: dir, field: '--out' });
    entries = readdirSync(dir).filter((f) => !isDebris(f));
  } catch (e) {
    throw fsError(e, dir, 'read the run directory');
  }
  const paths = runPaths(dir);
  const state = readCheckpointState(dir);
  if (existsSync(paths.manifest)) {
    const manifest = readRunManifest(dir);
    if (manifest.result.stopped) return { kind: 'stopped', manifest, checkpoint: !!state, run: state?.run };
    if (!state) return { kind: 'finished', manifest };
  }
  if (state) return { kind: 'unfinished', epoch: state.epoch, run: state.run };
  // an interrupted first checkpoint (no state.json yet) holds nothing worth keeping
  const rest = entries.filter((f) => f !== RUN_FILES.checkpoint || !statSync(join(dir, f)).isDirectory());
  return rest.length === 0 ? { kind: 'empty' } : { kind: 'foreign', entries: rest };
}

/** Remove the files a run writes (before training afresh under --force), leaving anything else alone. */
export function clearRunFiles(dir: string): void {
  for (const f of Object.values(RUN_FILES)) {
    const p = join(dir, f);
    try {
      rmSync(p, { recursive: true, force: true });
    } catch (e) {
      throw fsError(e, p, 'remove the old run file');
    }
  }
}
