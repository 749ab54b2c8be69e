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
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileActivation, type ActivationDef } from '../acts/define.js';
import { evaluateTfjs, tfjsIr } from '../acts/tfjs.js';
import { benchActivations } from '../bench/activations.js';
import { loadDataset } from '../data/sources.js';
import { stratifiedSubset } from '../data/split.js';
import { ActbenchError } from '../errors.js';
import { defaultExecutor, type Executor } from '../jobs/executor.js';
import { trainRun } from '../jobs/kinds/train-run.js';
import type { JobContext } from '../jobs/kinds/index.js';
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

/** One candidate's training and scoring, as a job (kind `fitness`): everything after the probe. */
export interface FitnessJobInput {
  options: Omit<FitnessOptions, 'log'>;
  gene: Gene | 'relu';
  /** the candidate's id (its directory under <dir>/candidates), or 'relu' for the baseline */
  id: number | string;
  fingerprint: string;
}

const definitionOf = (gene: Gene | 'relu'): ActivationDef =>
  gene === 'relu' ? ({ name: 'relu', expr: 'relu(x)', constants: {}, params: {} } as ActivationDef) : toDefinition(gene);

/**
 * Train the candidate (resuming or reusing its directory: the job may be delivered twice) and score it.
 * A non-finite loss is fitness 0 ('nan'); any other failure rejects with its coded error.
 */
export async function scoreCandidate(input: FitnessJobInput, log: (l: string) => void, ctx: JobContext = {}): Promise<Evaluation> {
  const t0 = performance.now();
  const { options: o, gene, id, fingerprint } = input;
  const done = (e: Omit<Evaluation, 'seconds'>): Evaluation => ({ ...e, seconds: (performance.now() - t0) / 1000 });
  const expr = gene === 'relu' ? 'relu' : toExpression(gene);
  const dir = join(o.dir, 'candidates', String(id));
  const robust = o.kind.startsWith('robust');
  const { manifest } = await trainRun(
    {
      train: { model: o.model, act: expr, data: o.data, seed: o.seed, out: dir, limitTrain: o.limitTrain, limitTest: o.limitTest, recipe: { epochs: o.epochs, lr: o.lr } },
      ...(robust ? { export: { validationImages: 64 } } : {}),
    },
    log,
    ctx,
  );
  if (manifest.result.stopped) return done({ fitness: 0, status: 'nan', details: { fingerprint, reason: manifest.result.stopped.reason } });
  const details: Evaluation['details'] = { fingerprint, valAcc: manifest.result.valAcc };
  let score = manifest.result.valAcc ?? 0;
  if (robust) {
    // the robustness images: a class-stratified subset of the test split (fixed split seed, not the run's)
    const valSet = stratifiedSubset(loadDataset(o.data).test, o.limitTest).set;
    const src = onTheFlySource(valSet, { name: o.data, corruptions: ['gaussian_noise', 'defocus_blur', 'contrast', 'fog'], severities: [3], seed: o.seed, includeClean: false, workers: 1 });
    try {
      const recs = await evaluateModel(join(dir, 'model.onnx'), src, { ep: 'cpu', store: new ResultsStore(join(dir, 'robust.jsonl')) });
      score = recs.reduce((a, r) => a + r.top1, 0) / recs.length;
      details.corruptedAcc = score;
    } finally {
      await src.close();
    }
  }
  if (o.kind.endsWith('latency')) {
    const ratio = await latencyRatio(definitionOf(gene));
    details.latencyRatio = ratio;
    score -= o.latencyWeight * Math.log2(Math.max(ratio, 1e-6));
  }
  return done({ fitness: score, status: 'ok', details });
}

/**
 * The search's fitness function: probe and de-duplicate here, train and score as a `fitness` job on the
 * executor (child processes, or the queue's workers). Probes and the duplicate check run one at a time in
 * call order (candidate order), and a candidate functionally identical to one still being evaluated waits
 * for that result: which candidate is a duplicate never depends on which job finishes first.
 */
export function makeFitness(o: FitnessOptions, known: Map<string, Evaluation>, executor: Executor = defaultExecutor()) {
  const inflight = new Map<string, Promise<Evaluation>>();
  let turn: Promise<unknown> = Promise.resolve();
  return async (gene: Gene | 'relu', id: number | string): Promise<Evaluation> => {
    const t0 = performance.now();
    const expr = gene === 'relu' ? 'relu' : toExpression(gene);
    const done = (e: Omit<Evaluation, 'seconds'>): Evaluation => ({ ...e, seconds: (performance.now() - t0) / 1000 });
    const step = turn.then(async (): Promise<{ now: Evaluation } | { wait: Promise<Evaluation>; fingerprint: string } | { run: string }> => {
      let p;
      try {
        // validation (non-finite everywhere, too deep …) refuses some generated graphs: they score 0, the search goes on
        p = await probe(definitionOf(gene));
      } catch (e) {
        return { now: done({ fitness: 0, status: 'parity', details: { error: (e as Error).message.slice(0, 200) } }) };
      }
      if (!p.parity) return { now: done({ fitness: 0, status: 'parity', details: { fingerprint: p.fingerprint, maxDiff: p.maxDiff } }) };
      if (gene !== 'relu') {
        const prior = known.get(p.fingerprint);
        if (prior) return { now: done({ ...prior, status: 'duplicate', details: { ...prior.details, fingerprint: p.fingerprint } }) };
        const running = inflight.get(p.fingerprint);
        if (running) return { wait: running, fingerprint: p.fingerprint };
      }
      return { run: p.fingerprint };
    });
    turn = step.catch(() => {});
    const s = await step;
    if ('now' in s) return s.now;
    if ('wait' in s) {
      const prior = await s.wait;
      return done({ ...prior, status: 'duplicate', details: { ...prior.details, fingerprint: s.fingerprint } });
    }
    const { log: _log, ...options } = o;
    const label = gene === 'relu' ? 'baseline relu' : `candidate ${id} (${expr})`;
    const job = executor
      .run('fitness', { options, gene, id, fingerprint: s.run }, { label, log: o.log })
      .then((ev) => {
        if (ev.status === 'ok' || ev.status === 'nan') known.set(s.run, ev);
        return ev;
      })
      .catch((e: unknown) => {
        if (e instanceof ActbenchError) throw new CandidateJobError(id, e);
        throw e;
      });
    inflight.set(s.run, job);
    // the baseline's fingerprint is known only once it finished (a candidate equal to ReLU is a duplicate of it)
    try {
      return await job;
    } finally {
      inflight.delete(s.run);
    }
  };
}
