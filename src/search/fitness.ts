/**
 * Fitness of a candidate activation, with the hygiene the papers call for:
 * 1. probe: the function on a fixed probe set through TF.js and through its exported ONNX graph on
 *    onnxruntime — a candidate that cannot be exported faithfully scores 0 ('parity');
 *    the TF.js outputs are its fingerprint, and a functionally identical earlier candidate's result is
 *    reused instead of retraining ('duplicate');
 * 2. train: the network with the candidate everywhere, a few epochs, in a child job (one per worker);
 *    a NaN/Inf loss ends it early with fitness 0 ('nan'); a child job that fails is no fitness: the
 *    evaluation rejects with the child's coded error (CandidateJobError) and the search stops;
 * 3. score: validation accuracy (PANGAEA), or accuracy on corrupted validation images, or either combined
 *    with the deployed cost: fitness = accuracy − w·log₂(ONNX latency / ReLU latency).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileActivation, type ActivationDef } from '../acts/define.js';
import { evaluateTfjs, tfjsIr } from '../acts/tfjs.js';
import { benchActivations } from '../bench/activations.js';
import type { ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { stratifiedSubset } from '../data/split.js';
import { readManifest, type Manifest } from '../api/train.js';
import { ActbenchError } from '../errors.js';
import { trainInChild, type TrainJobTraining } from '../jobs/train.js';
import { evaluateModel, onTheFlySource } from '../eval/evaluate.js';
import { activationModel } from '../onnx/activation-model.js';
import { ResultsStore } from '../results/store.js';
import { createSession, runOnce } from '../runtime/session.js';
import type { Evaluation } from './evolution.js';
import { toDefinition, toExpression, type Gene } from './genome.js';

export type FitnessKind = 'accuracy' | 'robust' | 'accuracy+latency' | 'robust+latency';

export interface FitnessOptions {
  model: string;
  data: string;
  epochs: number;
  limitTrain: number;
  limitTest: number;
  lr: number;
  seed: number;
  kind: FitnessKind;
  /** w in accuracy − w·log₂(latency ratio) */
  latencyWeight: number;
  dir: string;
  log?: (l: string) => void;
}

const PROBE = Float32Array.from({ length: 64 }, (_, k) => -6 + (12 * k) / 63);

/** Outputs on the probe set (parameters at 1) through TF.js and ONNX: fingerprint and parity. */
export async function probe(def: ActivationDef): Promise<{ fingerprint: string; parity: boolean; maxDiff: number }> {
  const c = compileActivation(def);
  const shape = [1, 4, 4, 4];
  const t = tf.tidy(() => {
    const params = Object.fromEntries(c.paramNames.map((n) => [n, tf.ones([4])]));
    return evaluateTfjs(tfjsIr(c.ir), tf.tensor(PROBE, [1, 4, 4, 4]).transpose([0, 2, 3, 1]), params).transpose([0, 3, 1, 2]).dataSync() as Float32Array;
  });
  const fingerprint = createHash('sha256').update(Array.from(t, (v) => (Number.isFinite(v) ? v.toPrecision(6) : String(v))).join(',')).digest('hex').slice(0, 16);
  const s = await createSession(activationModel(def, { shape }), { ep: 'cpu' });
  const y = await runOnce(s.session, PROBE, shape);
  await s.session.release();
  let maxDiff = 0;
  for (let k = 0; k < y.length; k++) {
    if ((Number.isNaN(y[k]) && Number.isNaN(t[k])) || y[k] === t[k]) continue;
    maxDiff = Math.max(maxDiff, Math.abs(y[k] - t[k]) / Math.max(1, Math.abs(t[k])) || Infinity);
  }
  return { fingerprint, parity: maxDiff <= 1e-5, maxDiff };
}

/** ONNX latency of the activation alone relative to ReLU (same tensor, interleaved). */
export async function latencyRatio(def: ActivationDef): Promise<number> {
  const r = await benchActivations({ activations: ['relu', def.expr], shape: [32, 16, 14, 14], rounds: 8, warmup: 2 });
  const cand = r.rows.find((row) => row.name !== 'relu' && row.variant === 'cuda-safe') ?? r.rows[r.rows.length - 1];
  return cand.relToRelu;
}

/** A training whose child job failed is not a fitness: the search stops with the child's coded error (its state saved). */
export class CandidateJobError extends ActbenchError {
  constructor(readonly candidate: number | string, cause: ActbenchError) {
    super(cause.code, cause.message, { file: cause.file, field: cause.field, exit: cause.exit });
  }
}

export function makeFitness(o: FitnessOptions, known: Map<string, Evaluation>) {
  let robustVal: ImageSet | undefined;
  // the robustness images: a class-stratified subset of the test split (fixed split seed, not the run's)
  const valSet = () => (robustVal ??= stratifiedSubset(loadDataset(o.data).test, o.limitTest).set);
  const trainRequest = (act: string, dir: string): TrainJobTraining => ({
    model: o.model, act, data: o.data, seed: o.seed, out: dir, limitTrain: o.limitTrain, limitTest: o.limitTest,
    recipe: { epochs: o.epochs, lr: o.lr },
    // a candidate killed mid-training resumes from its checkpoint (the search recipe is the same: checked by runSearch)
    resume: existsSync(join(dir, 'checkpoint', 'state.json')),
  });
  return async (gene: Gene | 'relu', id: number | string): Promise<Evaluation> => {
    const t0 = performance.now();
    const expr = gene === 'relu' ? 'relu' : toExpression(gene);
    const done = (e: Omit<Evaluation, 'seconds'>): Evaluation => ({ ...e, seconds: (performance.now() - t0) / 1000 });
    let p;
    let def: ActivationDef;
    try {
      // validation (non-finite everywhere, too deep …) refuses some generated graphs: they score 0, the search goes on
      def = gene === 'relu' ? ({ name: 'relu', expr: 'relu(x)', constants: {}, params: {} } as ActivationDef) : toDefinition(gene);
      p = await probe(def);
    } catch (e) {
      return done({ fitness: 0, status: 'parity', details: { error: (e as Error).message.slice(0, 200) } });
    }
    if (!p.parity) return done({ fitness: 0, status: 'parity', details: { fingerprint: p.fingerprint, maxDiff: p.maxDiff } });
    const prior = known.get(p.fingerprint);
    if (prior && gene !== 'relu') return done({ ...prior, status: 'duplicate', details: { ...prior.details, fingerprint: p.fingerprint } });
    const dir = join(o.dir, 'candidates', String(id));
    const robust = o.kind.startsWith('robust');
    const label = gene === 'relu' ? 'baseline relu' : `candidate ${id} (${expr})`;
    const exportOpts = { validationImages: 64 };
    let manifest: Manifest;
    try {
      if (!existsSync(join(dir, 'manifest.json')) || existsSync(join(dir, 'checkpoint', 'state.json'))) {
        manifest = (await trainInChild({ kind: 'train', train: trainRequest(expr, dir), ...(robust ? { export: exportOpts } : {}) }, { label, log: o.log })).manifest;
      } else {
        manifest = readManifest(dir);
        if (robust && !manifest.result.stopped && !existsSync(join(dir, 'model.onnx'))) await trainInChild({ kind: 'export', dir, export: exportOpts }, { label, log: o.log });
      }
    } catch (e) {
      if (e instanceof ActbenchError) throw new CandidateJobError(id, e);
      throw e;
    }
    if (manifest.result.stopped) {
      const ev = done({ fitness: 0, status: 'nan', details: { fingerprint: p.fingerprint, reason: manifest.result.stopped.reason } });
      known.set(p.fingerprint, ev);
      return ev;
    }
    const details: Evaluation['details'] = { fingerprint: p.fingerprint, valAcc: manifest.result.valAcc };
    let score = manifest.result.valAcc ?? 0;
    if (robust) {
      const src = onTheFlySource(valSet(), { name: o.data, corruptions: ['gaussian_noise', 'defocus_blur', 'contrast', 'fog'], severities: [3], seed: o.seed, includeClean: false, workers: 1 });
      try {
        const recs = await evaluateModel(join(dir, 'model.onnx'), src, { ep: 'cpu', store: new ResultsStore(join(dir, 'robust.jsonl')) });
        score = recs.reduce((a, r) => a + r.top1, 0) / recs.length;
        details.corruptedAcc = score;
      } finally {
        await src.close();
      }
    }
    if (o.kind.endsWith('latency')) {
      const ratio = await latencyRatio(def);
      details.latencyRatio = ratio;
      score -= o.latencyWeight * Math.log2(Math.max(ratio, 1e-6));
    }
    const ev = done({ fitness: score, status: 'ok', details });
    known.set(p.fingerprint, ev);
    return ev;
  };
}
