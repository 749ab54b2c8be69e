/**
 * `actbench train`: dataset → model → training → models/<name>/ with the trained model, its training log
 * (log.jsonl), a checkpoint per epoch and manifest.json (activation definition and constants, dataset,
 * subsets per class and split seed, normalisation, recipe, seed, backend, timings, final accuracy).
 * The run directory and its manifest are described in train/run-dir.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveActivation } from '../acts/define.js';
import { count, type ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { channelStats, KNOWN_STATS, SPLIT_SEED, stratifiedSplit, stratifiedSubset, type Normalisation } from '../data/split.js';
import type { FixedBatch } from '../analyze/track.js';
import { makeBatch } from '../train/batches.js';
import { checkTrainable } from '../data/check.js';
import { specInputPaths } from '../data/spec.js';
import { ActbenchError, fsError } from '../errors.js';
import { countMacs, createModel } from '../models/registry.js';
import { describeBackend, selectBackend, type BackendRequest } from '../train/backend.js';
import { saveModel } from '../train/io.js';
import { evaluate, removeCheckpoint, train, type EpochLog, type TrainState } from '../train/loop.js';
import { validateRecipe, DEFAULT_RECIPE, type Recipe } from '../train/recipe.js';
import {
  clearRunFiles, inspectRunDir, readRunManifest, runPaths, writeRunLog, writeRunManifest,
  type Manifest, type PerClass, type RunDirState, type RunRecipe,
} from '../train/run-dir.js';
import { checkRunSeed } from '../train/seeds.js';
import { lockDir } from '../util/lock.js';
import { assertDisjoint } from '../util/paths.js';
import { assertSameRun } from '../util/same-run.js';

export type { Manifest } from '../train/run-dir.js';

export interface TrainRequest {
  model: string;
  act: string;
  data: string;
  seed: number;
  recipe: Partial<Recipe>;
  out?: string;
  /** continue the run's checkpoint; refused unless the stored recipe equals this request's */
  resume?: boolean;
  /** replace what --out holds (a finished run, another recipe's checkpoint, a corrupted run) and train afresh */
  force?: boolean;
  backend?: BackendRequest;
  /** train on a class-stratified subset of this many images (quick studies) */
  limitTrain?: number;
  /** evaluate on a class-stratified subset of this many test images */
  limitTest?: number;
  width?: number;
  dropout?: number;
  /** after every epoch, record each activation layer's activation-mean distribution on a fixed batch of 256 training images */
  trackStats?: boolean;
  onStep?: Parameters<typeof train>[0]['onStep'];
  onEpoch?: (log: EpochLog) => void;
  log?: (line: string) => void;
}

/**
 * A training that stopped on a non-finite loss. Its manifest (result.stopped) is written before this is
 * thrown, so the run is on record; the CLI exits 3.
 */
export class TrainStoppedError extends ActbenchError {
  readonly dir: string;
  readonly manifest: Manifest;
  constructor(dir: string, manifest: Manifest) {
    const s = manifest.result.stopped as NonNullable<TrainState['stopped']>;
    super('TRAIN_NONFINITE', `training stopped at epoch ${s.epoch + 1}, step ${s.step + 1}: ${s.reason}; the run has no usable model (recorded in ${join(dir, 'manifest.json')})`, {
      file: join(dir, 'manifest.json'),
      field: 'result.stopped',
      exit: 3,
    });
    this.dir = dir;
    this.manifest = manifest;
  }
}

export function defaultRunName(model: string, act: string, data: string, seed: number): string {
  const slug = (s: string) => s.replace(/[^A-Za-z0-9_.=-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return `${slug(model)}-${slug(act)}-${slug(data.split(':')[0])}-s${seed}`;
}


/** The most float32 values in one batch tensor: 2²⁹ (2 GiB), below TF.js's 2³¹-element limit. */
export const MAX_BATCH_ELEMENTS = 2 ** 29;

function checkSizes(batchSize: number, shape: [number, number, number]): void {
  const elements = batchSize * shape[0] * shape[1] * shape[2];
  if (elements > MAX_BATCH_ELEMENTS) {
    throw new ActbenchError(
      'TRAIN_BATCH_TOO_LARGE',
      `--batch-size ${batchSize} on ${shape.join('×')} images is a tensor of ${elements.toExponential(2)} float32 values (${(elements * 4 / 2 ** 30).toFixed(1)} GiB); the limit is ${MAX_BATCH_ELEMENTS} values (2 GiB): use at most --batch-size ${Math.floor(MAX_BATCH_ELEMENTS / (shape[0] * shape[1] * shape[2]))}`,
      { field: 'batch-size', exit: 2 },
    );
  }
}


/** --track-stats: the same class-stratified 256 training images (split seed) every epoch, normalised. */
function fixedBatch(s: ImageSet, norm: Normalisation): FixedBatch {
  const b = stratifiedSubset(s, Math.min(256, s.labels.length)).set;
  const n = b.labels.length;
  return { x: makeBatch(b, Array.from({ length: n }, (_, k) => k), norm, 'none').x, shape: [n, b.height, b.width, b.channels] };
}

function perClassOf(s: ImageSet | null): PerClass {
  const out: PerClass = {};
  if (!s) return out;
  for (const l of s.labels) out[String(l)] = (out[String(l)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => Number(a[0]) - Number(b[0])));
}

const showPerClass = (p: PerClass) => Object.entries(p).map(([c, n]) => `${c}:${n}`).join(' ');

/**
 * Decide what to do with --out before any work: train afresh, continue a checkpoint, or refuse (nothing
 * the user made is replaced without --force; a resume must be the same run).
 */
function planRun(dir: string, state: RunDirState, run: RunRecipe, req: TrainRequest): { resume: boolean; clear: boolean } {
  const force = !!req.force;
  const again = 'pass --force to replace it and train afresh, or choose another --out';
  switch (state.kind) {
    case 'absent':
    case 'empty':
      if (req.resume && !force) throw new ActbenchError('TRAIN_NO_CHECKPOINT', `--resume: no complete checkpoint in ${join(dir, 'checkpoint')} (nothing to resume; drop --resume to start)`, { file: dir, field: 'resume' });
      return { resume: false, clear: false };
    case 'finished':
      if (force) return { resume: false, clear: true };
      throw new ActbenchError(
        'TRAIN_EXISTS',
        `${dir} holds a finished run (${state.manifest.model}, ${state.manifest.activation.name === 'custom' ? state.manifest.activation.expr : state.manifest.activation.name}, seed ${state.manifest.seed}, ${state.manifest.result.epochs} epochs)${req.resume ? ': there is nothing to resume' : ''}; ${again}`,
        { file: dir, field: '--out' },
      );
    case 'foreign':
      if (force) return { resume: false, clear: true };
      throw new ActbenchError('TRAIN_OUT_NOT_RUN', `${dir} is not empty and is not an actbench run (it holds ${state.entries.slice(0, 5).join(', ')}${state.entries.length > 5 ? ', …' : ''}); choose another --out (--force writes the run files into it)`, { file: dir, field: '--out' });
    case 'stopped':
    case 'unfinished': {
      const hasCheckpoint = state.kind === 'unfinished' || state.checkpoint;
      if (!req.resume) {
        if (force) return { resume: false, clear: true };
        const what = state.kind === 'stopped' ? `a run that stopped (${state.manifest.result.stopped?.reason})` : `an unfinished run (checkpoint after epoch ${state.epoch})`;
        throw new ActbenchError('TRAIN_EXISTS', `${dir} holds ${what}: ${hasCheckpoint ? 'pass --resume to continue it, or ' : ''}${again}`, { file: dir, field: '--out' });
      }
      if (!hasCheckpoint) {
        if (force) return { resume: false, clear: true };
        throw new ActbenchError('TRAIN_NO_CHECKPOINT', `--resume: no complete checkpoint in ${join(dir, 'checkpoint')} (the run stopped in its first epoch); ${again}`, { file: dir, field: 'resume' });
      }
      const stored = state.run;
      const file = runPaths(dir).state;
      if (stored === undefined) {
        if (force) return { resume: false, clear: true };
        throw new ActbenchError('RESUME_NO_RECIPE', `${file} does not record the recipe it was made with (an older actbench): it cannot be checked against this request; --force starts afresh`, { file, field: 'run' });
      }
      try {
        assertSameRun('run', file, stored, run, 'resume with the same flags, use another --out, or --force to start afresh');
      } catch (e) {
        if (force) return { resume: false, clear: true };
        throw e;
      }
      return { resume: true, clear: false };
    }
  }
}

/** Inspect --out; a corrupted manifest or checkpoint is refused (coded, naming it) unless --force. */
function inspect(dir: string, force: boolean | undefined): RunDirState {
  try {
    return inspectRunDir(dir);
  } catch (e) {
    if (force && e instanceof ActbenchError && (e.code === 'MODEL_BAD_MANIFEST' || e.code === 'TRAIN_BAD_CHECKPOINT')) return { kind: 'foreign', entries: [] };
    if (e instanceof ActbenchError && (e.code === 'MODEL_BAD_MANIFEST' || e.code === 'TRAIN_BAD_CHECKPOINT')) {
      throw new ActbenchError(e.code, `${e.message}\n(--force replaces the run and trains afresh)`, { file: e.file, field: e.field, exit: e.exit });
    }
    throw e;
  }
}

/**
 * Train one run into its directory (default models/<model>-<act>-<data>-s<seed>), holding a lock on it.
 * Resolves with the run's directory and manifest when every planned epoch trained. A training that stopped
 * on a non-finite loss writes its manifest (result.stopped) and then REJECTS with TrainStoppedError
 * (code TRAIN_NONFINITE, exit 3), so no caller can take it for a result. Every input is checked (coded
 * errors) before anything in --out is replaced.
 */
export async function runTraining(req: TrainRequest): Promise<{ dir: string; manifest: Manifest }> {
  const log = req.log ?? (() => {});
  const seed = checkRunSeed(req.seed);
  const act = resolveActivation(req.act);
  const recipe = validateRecipe({ ...DEFAULT_RECIPE, ...req.recipe });
  const width = req.width ?? 1;
  const dropout = req.dropout ?? 0;
  const dir = req.out ?? join('models', defaultRunName(req.model, req.act, req.data, seed));
  for (const [f, v] of [['limit-train', req.limitTrain], ['limit-test', req.limitTest]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ActbenchError('TRAIN_BAD_LIMIT', `--${f} must be a positive integer, got ${v}`, { field: f, exit: 2 });
  }
  assertDisjoint({ path: dir, what: '--out' }, specInputPaths(req.data));
  const run: RunRecipe = {
    model: req.model, width, dropout, activation: act,
    data: { spec: req.data, limitTrain: req.limitTrain ?? null, limitTest: req.limitTest ?? null, splitSeed: SPLIT_SEED },
    seed, recipe,
  };

  const existed = existsSync(dir);
  if (existed && !statSync(dir).isDirectory()) throw new ActbenchError('OUTPUT_NOT_DIR', `--out ${dir} is a file; a run is written to a directory`, { file: dir, field: '--out' });
  let lock;
  try {
    lock = lockDir(dir, 'run directory');
  } catch (e) {
    throw e instanceof ActbenchError ? e : fsError(e, dir, 'create the run directory');
  }
  try {
    const plan = planRun(dir, inspect(dir, req.force), run, req);
    const backend = await selectBackend(req.backend ?? 'auto', 'train');
    log(describeBackend(backend));

    const ds = loadDataset(req.data);
    const inputShape: [number, number, number] = [ds.train.height, ds.train.width, ds.train.channels];
    checkSizes(recipe.batchSize, inputShape);
    // every split and subset uses the fixed SPLIT_SEED: the data are the same for every run seed
    const { train: trainFull, val } = recipe.valFraction > 0 ? stratifiedSplit(ds.train, recipe.valFraction, SPLIT_SEED) : { train: ds.train, val: null };
    const trainSet = req.limitTrain ? stratifiedSubset(trainFull, req.limitTrain).set : trainFull;
    const valSet = val && req.limitTrain ? stratifiedSubset(val, Math.max(200, Math.round(req.limitTrain * recipe.valFraction))).set : val;
    const testSet = req.limitTest ? stratifiedSubset(ds.test, req.limitTest).set : ds.test;
    checkTrainable({ ...trainSet, name: `${req.data}${req.limitTrain ? ` (--limit-train ${req.limitTrain})` : ''}` }, { batch: recipe.batchSize });
    const norm = KNOWN_STATS[ds.name] ?? channelStats(trainFull);
    const perClass = { train: perClassOf(trainSet), val: perClassOf(valSet), test: perClassOf(testSet) };
    log(`data: ${ds.source}: train ${count(trainSet)}, val ${valSet ? count(valSet) : 0}, test ${count(testSet)} images of ${inputShape.join('×')}, ${ds.train.numClasses} classes (split seed ${SPLIT_SEED}, independent of --seed)`);
    log(`  images per class: train ${showPerClass(perClass.train)}; test ${showPerClass(perClass.test)}`);

    const model = createModel(req.model, { act, numClasses: ds.train.numClasses, inputShape, width, dropout, seed });
    // every check passed: only now is anything in --out replaced
    if (plan.clear) clearRunFiles(dir);
    if (plan.resume) log(`resuming ${dir} (same recipe)`);
    const t0 = performance.now();
    const result = await train({
      model, train: trainSet, val: valSet, norm, recipe, seed,
      checkpointDir: dir, resume: plan.resume, run,
      ...(req.trackStats ? { trackStats: fixedBatch(trainSet, norm) } : {}),
      onStep: req.onStep,
      onEpoch: (l, state) => {
        writeRunLog(dir, state.history);
        req.onEpoch?.(l);
      },
    });
    const trainSeconds = result.state.history.reduce((a, h) => a + h.seconds, 0) || (performance.now() - t0) / 1000;
    const testAcc = result.state.stopped ? null : evaluate(result.model, testSet, norm);
    try {
      await saveModel(result.model, dir);
    } catch (e) {
      throw fsError(e, dir, 'write the trained model to');
    }
    const paths = runPaths(dir);
    const weights = readFileSync(paths.weights);
    const last = result.state.history.at(-1);
    const manifest: Manifest = {
      name: dir.split('/').filter(Boolean).pop() ?? dir,
      model: req.model,
      width,
      dropout,
      activation: act,
      dataset: {
        spec: req.data, source: ds.source, train: count(trainSet), val: valSet ? count(valSet) : 0, test: count(testSet), inputShape,
        numClasses: ds.train.numClasses, ...(ds.train.classNames ? { classNames: ds.train.classNames } : {}),
        limitTrain: req.limitTrain ?? null, limitTest: req.limitTest ?? null, splitSeed: SPLIT_SEED, perClass,
      },
      normalisation: norm,
      recipe,
      seed,
      backend: backend.name,
      backendVersion: backend.version,
      params: result.model.countParams(),
      macs: countMacs(result.model),
      timings: {
        trainSeconds,
        imagesPerSecond: result.state.history.length ? result.state.history.reduce((a, h) => a + h.imagesPerSecond, 0) / result.state.history.length : 0,
      },
      result: { epochs: result.state.epoch, valAcc: last?.valAcc ?? null, testAcc, stopped: result.state.stopped },
      created: new Date().toISOString(),
      weightsSha256: createHash('sha256').update(weights).digest('hex'),
    };
    writeRunManifest(dir, manifest);
    if (result.state.stopped) throw new TrainStoppedError(dir, manifest);
    if (result.state.epoch >= recipe.epochs) removeCheckpoint(dir);
    return { dir, manifest };
  } catch (e) {
    // a refusal before any work leaves no trace: not even the directory the lock created
    if (!existed) {
      lock.release();
      try {
        if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    }
    throw e;
  } finally {
    lock.release();
  }
}

/** manifest.json of a run directory, validated (see train/run-dir.ts). */
export const readManifest = readRunManifest;
