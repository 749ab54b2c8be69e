/**
 * Executors run typed jobs (./kinds) and answer their results. `local` (the default): a pool of long-lived
 * child processes on the fixed job entry (./entry.ts), one per core, reused from job to job (./pool.ts). `queue`: the jobs go to
 * BullMQ over Redis and any number of `actbench worker` processes run them (./queue/executor.ts). Callers
 * see no difference: same inputs, same results, the same coded errors.
 */
import { cpus } from 'node:os';
import type { JobKind, JobKinds } from './kinds/index.js';
import { ProcessPool } from './pool.js';
import { jobEntry } from './runner.js';
import type { EntryRequest } from './entry.js';

export interface RunJobOptions {
  /** what the job is, for messages ('candidate 3 (tanh(x))') */
  label: string;
  log?: (line: string) => void;
}

export interface Executor {
  readonly name: 'local' | 'queue';
  run<K extends JobKind>(kind: K, input: JobKinds[K]['input'], o: RunJobOptions): Promise<JobKinds[K]['result']>;
  close(): Promise<void>;
  /** the local pool's process ids (tests, diagnostics) */
  pids?(): number[];
}

export const ENTRY = jobEntry('entry', import.meta.url);

/** Long-lived processes on this machine, `width` at once (default: one per core), reused across jobs (./pool.ts). */
export function localExecutor(width = cpus().length): Executor {
  const pool = new ProcessPool<EntryRequest>(ENTRY, Math.max(1, width));
  return {
    name: 'local',
    run: (kind, input, o) => pool.run({ kind, input }, o),
    close: () => pool.close(),
    pids: () => pool.pids(),
  };
}

let shared: Executor | undefined;
/** The process-wide local executor (one per core) used when a caller names none. */
export function defaultExecutor(): Executor {
  return (shared ??= localExecutor());
}
