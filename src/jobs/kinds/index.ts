/**
 * The job kinds, by name: each a function of a JSON input to a JSON result, deterministic given its input.
 * Loaded by the fixed job entry (../entry.ts) in a job's own process — locally or on a queue worker.
 */
import type { BackendRequest } from '../../train/backend.js';
import type { Evaluation } from '../../search/evolution.js';
import type { FitnessJobInput } from '../../search/fitness.js';
import type { CorruptShardInput, CorruptShardResult } from './corrupt-shard.js';
import type { EvalCellsInput, EvalCellsResult } from './eval-cells.js';
import type { TrainRunInput, TrainRunResult } from './train-run.js';

export interface JobKinds {
  /** train + export + validate one run */
  'train-run': { input: TrainRunInput; result: TrainRunResult };
  /** one search candidate's fitness (its training and scoring) */
  fitness: { input: FitnessJobInput; result: Evaluation };
  /** evaluate one model on a range of an evaluation source's cells */
  'eval-cells': { input: EvalCellsInput; result: EvalCellsResult };
  /** corrupt rows of an array dataset at one (corruption, severity) into a shard file */
  'corrupt-shard': { input: CorruptShardInput; result: CorruptShardResult };
  /** answers its input: the queue's round trip without work (bench, health checks) */
  echo: { input: { value: unknown }; result: { value: unknown } };
}

export type JobKind = keyof JobKinds;
export const JOB_KINDS: readonly JobKind[] = ['train-run', 'fitness', 'eval-cells', 'corrupt-shard', 'echo'];

/** What the process running the job adds: the worker's --backend (the coordinator's request wins when it names one). */
export interface JobContext {
  backend?: BackendRequest;
}

type Handler<K extends JobKind> = (input: JobKinds[K]['input'], log: (l: string) => void, ctx: JobContext) => Promise<JobKinds[K]['result']>;

/** The handler of a kind, imported on demand (a worker loads only what its jobs need). */
export async function handlerOf<K extends JobKind>(kind: K): Promise<Handler<K>> {
  const handlers: { [P in JobKind]: () => Promise<Handler<P>> } = {
    'train-run': async () => (await import('./train-run.js')).trainRun,
    fitness: async () => (await import('../../search/fitness.js')).scoreCandidate,
    'eval-cells': async () => (await import('./eval-cells.js')).evalCells,
    'corrupt-shard': async () => (await import('./corrupt-shard.js')).corruptShard,
    echo: async () => async (input) => ({ value: input.value }),
  };
  return handlers[kind]() as Promise<Handler<K>>;
}

/** Paths inside a job's input, rewritten by `map` (relative to the shared artifacts directory for the queue). */
export function relocate<K extends JobKind>(kind: K, input: JobKinds[K]['input'], map: (path: string) => string): JobKinds[K]['input'] {
  const k = kind as JobKind;
  if (k === 'train-run') {
    const i = input as TrainRunInput;
    return { ...i, train: { ...i.train, out: map(i.train.out) } } as JobKinds[K]['input'];
  }
  if (k === 'eval-cells') {
    const i = input as EvalCellsInput;
    return { ...i, model: map(i.model), source: i.source.kind === 'cifar-c' ? { ...i.source, dir: map(i.source.dir) } : i.source } as JobKinds[K]['input'];
  }
  if (k === 'corrupt-shard') {
    const i = input as CorruptShardInput;
    return { ...i, out: map(i.out) } as JobKinds[K]['input'];
  }
  if (k === 'echo') return input;
  const i = input as FitnessJobInput;
  return { ...i, options: { ...i.options, dir: map(i.options.dir) } } as JobKinds[K]['input'];
}

/**
 * The single files a job reads and writes, for the kinds whose files may travel through Redis when the
 * workers share no directory (src/jobs/queue/blobs.ts); null for kinds that need the shared directory
 * (a training's run directory) or have no files (echo). Data sets and CIFAR-C directories are read in place on every worker.
 */
export function jobFiles<K extends JobKind>(kind: K, input: JobKinds[K]['input']): { reads: string[]; writes: string[] } | null {
  const k = kind as JobKind;
  if (k === 'eval-cells') return { reads: [(input as EvalCellsInput).model], writes: [] };
  if (k === 'corrupt-shard') return { reads: [], writes: [(input as CorruptShardInput).out] };
  return null;
}
