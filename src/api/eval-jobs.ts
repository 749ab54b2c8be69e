/**
 * `actbench eval --queue`: the cells of each model go to the queue as `eval-cells` jobs (fixed ranges of
 * consecutive cells) and their records come back and are appended to the store in cell order, as the
 * local evaluation would have appended them — equal records except the timing fields (seconds, time).
 * Cells already in the store are skipped (a rerun resumes), and a job runs on any worker that has the same
 * images (checked by the worker against the source's identity). The model file goes through --artifacts or,
 * without it, through Redis (up to 16 MiB, src/jobs/queue/blobs.ts).
 */
import { dirname, resolve } from 'node:path';
import type { CorruptionName } from '../corrupt/index.js';
import type { ImageTransform } from '../data/preprocess.js';
import { absoluteDataSpec } from '../data/spec.js';
import { checkEvalContract, fedAlike, runSeed, type EvalSource } from '../eval/evaluate.js';
import { ActbenchError } from '../errors.js';
import type { Executor } from '../jobs/executor.js';
import { cellsIdentity, specRoot, type EvalCellsResult, type EvalSourceSpec } from '../jobs/kinds/eval-cells.js';
import { queueExecutor } from '../jobs/queue/executor.js';
import { parseQueueUrl } from '../jobs/queue/url.js';
import { cellKey, type EvalRecord, type ResultsStore } from '../results/store.js';
import type { EpName, OptLevel } from '../runtime/session.js';

/** Cells per job: one corruption's five severities, so a job amortises its model and data loading. */
export const CELLS_PER_JOB = 5;

/** What `actbench eval` chose, as the spec a worker rebuilds the same source from (the values the CLI passes to its sources). */
export interface EvalSourceFlags {
  data: string;
  corrupted?: string;
  imagenetC?: string;
  corruptions: CorruptionName[];
  severities: number[];
  /** whether --corruptions / --severity were given (a CIFAR-C directory is otherwise read whole) */
  given: { corruptions: boolean; severity: boolean; data?: boolean };
  seed: number;
  batch: number;
  limit?: number;
  /** the resize/crop image files are decoded with (from the models' metadata) */
  image?: ImageTransform;
}

export function evalSourceSpec(f: EvalSourceFlags): EvalSourceSpec {
  return { ...sourceOf(f), ...(f.image ? { image: f.image } : {}) };
}

function sourceOf(f: EvalSourceFlags): EvalSourceSpec {
  if (f.imagenetC) {
    // the values runEval (./eval.ts) gives imagenetCSource: --data only when given, batches of at most 64
    return { kind: 'imagenet-c', dir: resolve(f.imagenetC), ...(f.given.data ? { data: absoluteDataSpec(f.data) } : {}), corruptions: f.given.corruptions ? f.corruptions : undefined, severities: f.severities, batch: Math.min(f.batch, 64) };
  }
  const data = absoluteDataSpec(f.data);
  if (f.corrupted) {
    return { kind: 'cifar-c', dir: resolve(f.corrupted), data, batch: f.batch, limit: f.limit, corruptions: f.given.corruptions ? f.corruptions : undefined, severities: f.given.severity ? f.severities : undefined };
  }
  return { kind: 'on-the-fly', data, corruptions: f.corruptions, severities: f.severities, seed: f.seed, batch: f.batch, limit: f.limit };
}

export interface EvalJobsOptions {
  ep: EpName;
  optLevel: OptLevel;
  store: ResultsStore;
  fidelity?: boolean;
  onCell?: (r: EvalRecord, skipped: boolean) => void;
  cellsPerJob?: number;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/**
 * The jobs for the cells still to do: the fixed ranges [k·width, (k+1)·width) of the source's cells that hold
 * any of them, sent whole. A range's input (so its key) does not depend on which of its cells the store has,
 * so a coordinator killed between two appends of one job's records finds that job finished on its restart
 * instead of sending a new one for the rest; the stored cells' records in its result are not appended again.
 */
function ranges(todo: number[], width: number, n: number): [number, number][] {
  const starts = [...new Set(todo.map((i) => i - (i % width)))];
  return starts.map((from) => [from, Math.min(n, from + width)]);
}

/** One model on a source through an executor: the records of every cell, the new ones appended to the store in cell order. */
export async function evaluateModelAsJobs(executor: Executor, modelPath: string, source: EvalSource, spec: EvalSourceSpec, o: EvalJobsOptions): Promise<EvalRecord[]> {
  const model = checkEvalContract(modelPath, source);
  o.store.prepareAppend();
  const finished = o.store.evalCells(model.hash, source.key, fedAlike(model, source));
  const seed = runSeed(dirname(modelPath));
  const todo = source.cells.map((_, i) => i).filter((i) => !finished.has(cellKey(source.cells[i].corruption, source.cells[i].severity)));
  const n = source.cells.length;
  const jobs = ranges(todo, Math.max(1, o.cellsPerJob ?? CELLS_PER_JOB), n).map(([from, to]) => ({
    from,
    to,
    done: settle<EvalCellsResult>(executor.run('eval-cells', { model: resolve(modelPath), source: spec, from, to, identity: cellsIdentity(source, specRoot(spec), from, to), ep: o.ep, optLevel: o.optLevel, ...(o.fidelity ? { fidelity: true } : {}) }, { label: `eval ${modelPath} cells ${from + 1}–${to} of ${n}` })),
  }));
  const records: EvalRecord[] = [];
  for (const [i, cell] of source.cells.entries()) {
    const stored = finished.get(cellKey(cell.corruption, cell.severity));
    if (stored) {
      records.push(stored);
      o.onCell?.(stored, true);
      continue;
    }
    const job = jobs.find((j) => j.from <= i && i < j.to);
    const got = await (job as (typeof jobs)[number]).done;
    if (!got.ok) throw got.error;
    const r = got.value.records[i - (job as (typeof jobs)[number]).from];
    if (!r || r.corruption !== cell.corruption || r.severity !== cell.severity) {
      throw new ActbenchError('JOB_BAD_RESULT', `eval ${modelPath}: the job for cell ${i + 1} answered ${r ? `${r.corruption ?? 'clean'}/${r.severity ?? '-'}` : 'nothing'}, expected ${cell.corruption ?? 'clean'}/${cell.severity ?? '-'}: is the worker's actbench the coordinator's version?`);
    }
    // where the model and the images are named on this machine (the worker saw its own paths)
    const { kind, model: _m, modelHash, activation, seed: _s, dataset: _d, ...rest } = r;
    const rec: EvalRecord = { kind, model: modelPath, modelHash, activation, seed, dataset: source.key, ...rest };
    o.store.append(rec);
    records.push(rec);
    o.onCell?.(rec, false);
  }
  return records;
}

/** `--queue URL [--artifacts DIR]` of `actbench eval`: evaluate through the queue's workers. */
export async function openEvalJobs(o: { queue: string; artifacts?: string; results: string; spec: EvalSourceSpec; fidelity?: boolean; log?: (line: string) => void }) {
  if (o.fidelity && o.artifacts === undefined) {
    throw new ActbenchError('QUEUE_NEEDS_ARTIFACTS', '--fidelity with --queue needs --artifacts DIR: the TF.js model next to each .onnx does not travel through Redis', { field: '--artifacts' });
  }
  const executor = await queueExecutor({ url: parseQueueUrl(o.queue), run: resolve(o.results), artifacts: o.artifacts, log: o.log });
  return {
    evaluate: (modelPath: string, source: EvalSource, e: EvalJobsOptions) => evaluateModelAsJobs(executor, modelPath, source, o.spec, e),
    close: () => executor.close(),
  };
}
