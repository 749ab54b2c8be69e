/**
 * The training loop: momentum SGD with L2 weight decay, the recipe's schedule and warm-up, optional
 * global-norm clipping, activation auxiliary losses (VeLU's W₂²) added to the loss, a checkpoint after
 * every epoch (model, optimizer accumulators, history) that `resume` continues exactly, and a clean stop
 * with the reason recorded when the loss turns NaN/Inf.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ActivationLayer } from '../acts/tfjs.js';
import type { ImageSet } from '../data/dataset.js';
import { prng, type Normalisation } from '../data/split.js';
import { ActbenchError, fsError } from '../errors.js';
import { setDropoutStep } from '../models/layers.js';
import { writeFileAtomic } from '../util/atomic.js';
import { activationMeanStats, type FixedBatch, type LayerMeanStats } from '../analyze/track.js';
import { epochOrder, makeBatch } from './batches.js';
import { loadModel, saveModel } from './io.js';
import { learningRate, type Recipe } from './recipe.js';
import { STREAM, streamSeed } from './seeds.js';

export interface EpochLog {
  epoch: number;
  lr: number;
  loss: number;
  auxLoss: number;
  trainAcc: number;
  valAcc: number | null;
  seconds: number;
  imagesPerSecond: number;
  /** --track-stats: activation-mean distribution per activation layer on a fixed training batch */
  activationStats?: LayerMeanStats[];
}

export interface TrainState {
  /** epochs completed */
  epoch: number;
  history: EpochLog[];
  stopped: null | { epoch: number; step: number; reason: string };
}

export interface TrainOptions {
  model: tf.LayersModel;
  train: ImageSet;
  val: ImageSet | null;
  norm: Normalisation;
  recipe: Recipe;
  seed: number;
  /** directory for checkpoint/ (model + optimizer + state); none: no checkpoints */
  checkpointDir?: string;
  /** continue from checkpointDir */
  resume?: boolean;
  /**
   * what the run was made with, stored in the checkpoint's state.json (`run`) so a resume can be
   * compared with its request (api/train.ts); opaque to the loop
   */
  run?: unknown;
  /** stop after this many optimisation steps in total (tests, smoke runs) */
  maxSteps?: number;
  /** record the activation-mean distributions on this fixed batch after every epoch */
  trackStats?: FixedBatch;
  onStep?: (info: { epoch: number; step: number; steps: number; loss: number; acc: number; imagesPerSecond: number }) => void;
  /** after each epoch, once its checkpoint is written (so a log rebuilt from `state.history` matches it) */
  onEpoch?: (log: EpochLog, state: TrainState) => void;
}

export interface TrainResult {
  model: tf.LayersModel;
  state: TrainState;
}

export function activationLayers(model: tf.LayersModel): ActivationLayer[] {
  return model.layers.filter((l): l is ActivationLayer => l instanceof ActivationLayer);
}

/** Top-1 accuracy of a model on a set (inference mode, batched). */
export function evaluate(model: tf.LayersModel, s: ImageSet, norm: Normalisation, batchSize = 256): number {
  let correct = 0;
  for (let i = 0; i < s.labels.length; i += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, s.labels.length - i) }, (_, k) => i + k);
    const b = makeBatch(s, idx, norm, 'none');
    const pred = tf.tidy(() => (model.predict(tf.tensor4d(b.x, [idx.length, s.height, s.width, s.channels])) as tf.Tensor).argMax(-1).dataSync());
    for (let k = 0; k < idx.length; k++) if (pred[k] === b.labels[k]) correct++;
  }
  return correct / Math.max(1, s.labels.length);
}

/**
 * A checkpoint is checkpoint/epoch-<k>/ (model.json, weights.bin, optimizer.bin) plus checkpoint/state.json
 * naming it, written last and atomically: a kill at any moment leaves state.json pointing at a complete
 * set of files (the previous epoch's until the new one is whole), so a resume is always exact.
 */
async function saveCheckpoint(dir: string, model: tf.LayersModel, opt: tf.MomentumOptimizer, state: TrainState, run: unknown): Promise<void> {
  const ck = join(dir, 'checkpoint');
  const files = `epoch-${state.epoch}`;
  try {
    await saveModel(model, join(ck, files));
    const weights = await opt.getWeights();
    const specs = weights.map((w) => ({ name: w.name, shape: w.tensor.shape }));
    const data = new Float32Array(weights.reduce((a, w) => a + w.tensor.size, 0));
    let o = 0;
    for (const w of weights) {
      data.set(w.tensor.dataSync() as Float32Array, o);
      o += w.tensor.size;
    }
    writeFileAtomic(join(ck, files, 'optimizer.bin'), new Uint8Array(data.buffer));
    // state last: it makes the new files the checkpoint
    writeFileAtomic(join(ck, 'state.json'), JSON.stringify({ ...state, files, optimizer: specs, ...(run === undefined ? {} : { run }) }, null, 1));
  } catch (e) {
    throw fsError(e, ck, 'write the checkpoint');
  }
  for (const f of readdirSync(ck)) if (f !== files && f !== 'state.json' && !f.startsWith('.')) rmSync(join(ck, f), { recursive: true, force: true });
}

export interface CheckpointState extends TrainState {
  optimizer: { name: string; shape: number[] }[];
  /** the subdirectory of checkpoint/ with the model and optimizer files (absent: checkpoint/ itself, older versions) */
  files?: string;
  /** the run recipe the checkpoint was made with (absent in checkpoints of older versions) */
  run?: unknown;
}

/** checkpoint/state.json, validated: a corrupted or foreign file is a coded error naming it. */
export function readCheckpointState(dir: string): CheckpointState | null {
  const statePath = join(dir, 'checkpoint', 'state.json');
  if (!existsSync(statePath)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ActbenchError('TRAIN_BAD_CHECKPOINT', `${statePath} is not valid JSON (${e.message}): the checkpoint is corrupted; --force starts the run afresh`, { file: statePath });
    throw fsError(e, statePath, 'read');
  }
  const bad = (field: string, expected: string) =>
    new ActbenchError('TRAIN_BAD_CHECKPOINT', `${statePath}: ${field} must be ${expected}; the checkpoint is corrupted (--force starts the run afresh)`, { file: statePath, field });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('(root)', 'an object');
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.epoch) || (r.epoch as number) < 0) throw bad('epoch', 'an integer ≥ 0');
  if (!Array.isArray(r.history) || r.history.length !== r.epoch) throw bad('history', `a list of ${String(r.epoch)} epoch logs`);
  for (const [k, h] of (r.history as unknown[]).entries()) {
    const e = h as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || e.epoch !== k + 1 || typeof e.loss !== 'number' || typeof e.lr !== 'number' || typeof e.seconds !== 'number') throw bad(`history[${k}]`, `the log of epoch ${k + 1}`);
  }
  if (r.stopped !== null && (typeof r.stopped !== 'object' || typeof (r.stopped as Record<string, unknown>).reason !== 'string')) throw bad('stopped', 'null or { epoch, step, reason }');
  if (r.files !== undefined && !(typeof r.files === 'string' && /^epoch-\d+$/.test(r.files))) throw bad('files', "'epoch-<k>'");
  if (!Array.isArray(r.optimizer)) throw bad('optimizer', 'a list of { name, shape }');
  for (const [k, w] of (r.optimizer as unknown[]).entries()) {
    const o = w as Record<string, unknown> | null;
    if (!o || typeof o.name !== 'string' || !Array.isArray(o.shape) || !o.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`optimizer[${k}]`, '{ name, shape: integers ≥ 0 }');
  }
  return raw as CheckpointState;
}

async function loadCheckpoint(dir: string): Promise<{ model: tf.LayersModel; state: TrainState; optimizer: { name: string; tensor: tf.Tensor }[] }> {
  const ck = join(dir, 'checkpoint');
  const statePath = join(ck, 'state.json');
  const raw = readCheckpointState(dir);
  if (!raw) throw new ActbenchError('TRAIN_NO_CHECKPOINT', `--resume: no complete checkpoint in ${ck} (state.json missing)`, { file: statePath });
  const files = raw.files ? join(ck, raw.files) : ck;
  const model = await loadModel(files);
  const binPath = join(files, 'optimizer.bin');
  let bin: Buffer;
  try {
    bin = readFileSync(binPath);
  } catch (e) {
    throw fsError(e, binPath, 'read the checkpoint file');
  }
  if (bin.byteLength % 4 !== 0) throw new ActbenchError('TRAIN_BAD_CHECKPOINT', `${binPath}: ${bin.byteLength} bytes is not a whole number of float32 values`, { file: binPath });
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  let off = 0;
  const described = raw.optimizer.reduce((a, spec) => a + spec.shape.reduce((p, q) => p * q, 1), 0);
  if (described !== all.length) throw new ActbenchError('TRAIN_BAD_CHECKPOINT', `${binPath} has ${all.length} values, state.json describes ${described}`, { file: binPath });
  const optimizer = raw.optimizer.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(all.slice(off, off + size), spec.shape);
    off += size;
    return { name: spec.name, tensor };
  });
  return { model, state: { epoch: raw.epoch, history: raw.history, stopped: raw.stopped }, optimizer };
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const { recipe: r, train: data } = o;
  let model = o.model;
  const opt = tf.train.momentum(r.lr, r.momentum, r.nesterov) as tf.MomentumOptimizer;
  let state: TrainState = { epoch: 0, history: [], stopped: null };
  if (o.resume) {
    if (!o.checkpointDir) throw new ActbenchError('TRAIN_NO_CHECKPOINT', '--resume needs the run directory', { field: 'resume' });
    const loaded = await loadCheckpoint(o.checkpointDir);
    model.dispose();
    model = loaded.model;
    state = loaded.state;
    // momentum accumulators are matched to variables by position, which a reloaded model keeps
    await opt.setWeights(loaded.optimizer as Parameters<typeof opt.setWeights>[0]);
  }
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const acts = activationLayers(model);
  const stepsPerEpoch = Math.ceil(data.labels.length / r.batchSize);
  let totalSteps = state.epoch * stepsPerEpoch;
  const shape = [data.height, data.width, data.channels];

  for (let epoch = state.epoch; epoch < r.epochs && !state.stopped; epoch++) {
    const order = epochOrder(data.labels.length, o.seed, epoch);
    let lossSum = 0;
    let auxSum = 0;
    let correct = 0;
    let seen = 0;
    const t0 = performance.now();
    for (let step = 0; step < stepsPerEpoch; step++) {
      if (o.maxSteps !== undefined && totalSteps >= o.maxSteps) break;
      const idx = order.slice(step * r.batchSize, (step + 1) * r.batchSize);
      const rand = prng(streamSeed(STREAM.augment, o.seed, epoch, step));
      // dropout masks from (layer seed, global step): the same masks after a resume
      setDropoutStep(model, totalSteps);
      const b = makeBatch(data, idx, o.norm, r.augment, rand);
      opt.setLearningRate(learningRate(r, epoch + step / stepsPerEpoch));
      const { loss, aux, acc } = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [idx.length, ...shape] as [number, number, number, number]);
        const y = tf.oneHot(tf.tensor1d(b.labels, 'int32'), model.outputs[0].shape[1] as number);
        let auxValue = tf.scalar(0);
        let logitsKept: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          logitsKept = tf.keep(logits);
          let l = tf.losses.softmaxCrossEntropy(y, logits, undefined, r.labelSmoothing) as tf.Scalar;
          for (const a of acts) {
            const al = a.takeAuxLoss();
            if (al) {
              auxValue = tf.keep(tf.add(auxValue, al)) as tf.Scalar;
              l = tf.add(l, al) as tf.Scalar;
            }
          }
          return l;
        }, vars);
        const named: Record<string, tf.Tensor> = {};
        for (const v of vars) {
          let g = grads[v.name];
          if (!g) continue;
          if (r.weightDecay > 0) g = tf.add(g, tf.mul(v, r.weightDecay));
          named[v.name] = g;
        }
        if (r.clipNorm > 0) {
          const norm = tf.sqrt(tf.addN(Object.values(named).map((g) => tf.sum(tf.square(g)))));
          const scale = tf.minimum(1, tf.div(r.clipNorm, tf.add(norm, 1e-6)));
          for (const k of Object.keys(named)) named[k] = tf.mul(named[k], scale);
        }
        opt.applyGradients(named as unknown as Parameters<typeof opt.applyGradients>[0]);
        const lg = logitsKept as unknown as tf.Tensor;
        const accT = tf.mean(tf.cast(tf.equal(tf.argMax(lg, -1), tf.tensor1d(b.labels, 'int32')), 'float32'));
        lg.dispose();
        return { loss: value.dataSync()[0], aux: auxValue.dataSync()[0], acc: accT.dataSync()[0] };
      });
      totalSteps++;
      if (!Number.isFinite(loss)) {
        state.stopped = { epoch, step, reason: `loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}` };
        break;
      }
      lossSum += loss * idx.length;
      auxSum += aux * idx.length;
      correct += acc * idx.length;
      seen += idx.length;
      o.onStep?.({ epoch, step, steps: stepsPerEpoch, loss, acc, imagesPerSecond: seen / ((performance.now() - t0) / 1000) });
      // let timers (progress output) and signals run between steps
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (state.stopped || seen === 0) break;
    const seconds = (performance.now() - t0) / 1000;
    const log: EpochLog = {
      epoch: epoch + 1,
      lr: learningRate(r, epoch),
      loss: lossSum / seen,
      auxLoss: auxSum / seen,
      trainAcc: correct / seen,
      valAcc: o.val && o.val.labels.length ? evaluate(model, o.val, o.norm) : null,
      seconds,
      imagesPerSecond: seen / seconds,
    };
    if (seen < data.labels.length) break; // maxSteps cut the epoch short: not a complete epoch
    if (o.trackStats) log.activationStats = activationMeanStats(model, o.trackStats);
    state.history.push(log);
    state.epoch = epoch + 1;
    if (o.checkpointDir) await saveCheckpoint(o.checkpointDir, model, opt, state, o.run);
    o.onEpoch?.(log, state);
  }
  return { model, state };
}

export function removeCheckpoint(dir: string): void {
  rmSync(join(dir, 'checkpoint'), { recursive: true, force: true });
}
