/**
 * `actbench train`: dataset → model → training → models/<name>/ with the trained model, its training log
 * (log.jsonl), a checkpoint per epoch and manifest.json (activation definition and constants, dataset and
 * normalisation, recipe, seed, backend, timings, final accuracy).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation, type ActivationDef } from '../acts/define.js';
import { count, type ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { channelStats, KNOWN_STATS, stratifiedSplit, type Normalisation } from '../data/split.js';
import { ActbenchError } from '../errors.js';
import { countMacs, createModel } from '../models/registry.js';
import { describeBackend, selectBackend, type BackendRequest } from '../train/backend.js';
import { saveModel } from '../train/io.js';
import { evaluate, removeCheckpoint, train, type EpochLog, type TrainState } from '../train/loop.js';
import { validateRecipe, DEFAULT_RECIPE, type Recipe } from '../train/recipe.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface TrainRequest {
  model: string;
  act: string;
  data: string;
  seed: number;
  recipe: Partial<Recipe>;
  out?: string;
  resume?: boolean;
  backend?: BackendRequest;
  /** train on a stratified subset of this many images (quick studies) */
  limitTrain?: number;
  /** evaluate the test split on at most this many images */
  limitTest?: number;
  width?: number;
  dropout?: number;
  onStep?: Parameters<typeof train>[0]['onStep'];
  onEpoch?: (log: EpochLog) => void;
  log?: (line: string) => void;
}

export interface Manifest {
  name: string;
  model: string;
  width: number;
  dropout: number;
  activation: ActivationDef;
  dataset: { spec: string; source: string; train: number; val: number; test: number; inputShape: [number, number, number]; numClasses: number; classNames?: string[] };
  normalisation: Normalisation;
  recipe: Recipe;
  seed: number;
  backend: string;
  /** what ran underneath the backend, e.g. 'TensorFlow 2.21.0 (@tensorflow/tfjs-node 4.22.0)' */
  backendVersion: string;
  params: number;
  macs: number;
  timings: { trainSeconds: number; imagesPerSecond: number };
  result: { epochs: number; valAcc: number | null; testAcc: number | null; stopped: TrainState['stopped'] };
  created: string;
  weightsSha256: string;
}

export function defaultRunName(model: string, act: string, data: string, seed: number): string {
  const slug = (s: string) => s.replace(/[^A-Za-z0-9_.=-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return `${slug(model)}-${slug(act)}-${slug(data.split(':')[0])}-s${seed}`;
}

function limit(s: ImageSet, n: number | undefined, seed: number): ImageSet {
  if (!n || n >= count(s)) return s;
  return stratifiedSplit(s, n / count(s), seed + 17).val;
}

export async function runTraining(req: TrainRequest): Promise<{ dir: string; manifest: Manifest }> {
  const log = req.log ?? (() => {});
  const act = resolveActivation(req.act);
  const recipe = validateRecipe({ ...DEFAULT_RECIPE, ...req.recipe });
  const dir = req.out ?? join('models', defaultRunName(req.model, req.act, req.data, req.seed));
  if (!req.resume && existsSync(join(dir, 'checkpoint', 'state.json'))) {
    throw new ActbenchError('TRAIN_EXISTS', `${dir} already has a checkpoint: pass --resume to continue it, or another --out`, { file: dir });
  }
  const backend = await selectBackend(req.backend ?? 'auto', 'train');
  log(describeBackend(backend));

  const ds = loadDataset(req.data);
  const { train: trainFull, val } = recipe.valFraction > 0 ? stratifiedSplit(ds.train, recipe.valFraction, req.seed) : { train: ds.train, val: null };
  const trainSet = limit(trainFull, req.limitTrain, req.seed);
  const valSet = val ? limit(val, req.limitTrain ? Math.max(200, Math.round(req.limitTrain * recipe.valFraction)) : undefined, req.seed) : null;
  const testSet = limit(ds.test, req.limitTest, req.seed);
  const norm = KNOWN_STATS[ds.name] ?? channelStats(trainFull);
  const inputShape: [number, number, number] = [ds.train.height, ds.train.width, ds.train.channels];
  log(`data: ${ds.source}: train ${count(trainSet)}, val ${valSet ? count(valSet) : 0}, test ${count(testSet)} images of ${inputShape.join('×')}, ${ds.train.numClasses} classes`);

  tf.util.assert(ds.train.numClasses > 1, () => 'a dataset needs at least two classes');
  const model = createModel(req.model, { act, numClasses: ds.train.numClasses, inputShape, width: req.width, dropout: req.dropout, seed: req.seed });
  const t0 = performance.now();
  const result = await train({
    model,
    train: trainSet,
    val: valSet,
    norm,
    recipe,
    seed: req.seed,
    checkpointDir: dir,
    resume: req.resume,
    onStep: req.onStep,
    onEpoch: (l) => {
      writeFileAtomic(join(dir, 'log.jsonl'), (existsSync(join(dir, 'log.jsonl')) && l.epoch > 1 ? readFileSync(join(dir, 'log.jsonl'), 'utf8') : '') + JSON.stringify(l) + '\n');
      req.onEpoch?.(l);
    },
  });
  const trainSeconds = result.state.history.reduce((a, h) => a + h.seconds, 0) || (performance.now() - t0) / 1000;
  const testAcc = result.state.stopped ? null : evaluate(result.model, testSet, norm);
  await saveModel(result.model, dir);
  const weights = readFileSync(join(dir, 'weights.bin'));
  const last = result.state.history.at(-1);
  const manifest: Manifest = {
    name: dir.split('/').filter(Boolean).pop() ?? dir,
    model: req.model,
    width: req.width ?? 1,
    dropout: req.dropout ?? 0,
    activation: act,
    dataset: {
      spec: req.data, source: ds.source, train: count(trainSet), val: valSet ? count(valSet) : 0, test: count(testSet), inputShape,
      numClasses: ds.train.numClasses, ...(ds.train.classNames ? { classNames: ds.train.classNames } : {}),
    },
    normalisation: norm,
    recipe,
    seed: req.seed,
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
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  if (!result.state.stopped && result.state.epoch >= recipe.epochs) removeCheckpoint(dir);
  return { dir, manifest };
}

export function readManifest(dir: string): Manifest {
  const p = join(dir, 'manifest.json');
  if (!existsSync(p)) throw new ActbenchError('MODEL_NO_MANIFEST', `${p} not found: export needs a directory written by 'actbench train'`, { file: p });
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Manifest;
  } catch (e) {
    throw new ActbenchError('MODEL_BAD_MANIFEST', `${p}: ${(e as Error).message}`, { file: p });
  }
}
