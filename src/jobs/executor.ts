/**
 * Executors run typed jobs (./kinds) and answer their results. `local` (the default): each job in its own
 * child process on the fixed job entry (./entry.ts), at most one per core at once. `queue`: the jobs go to
 * BullMQ over Redis and any number of `actbench worker` processes run them (./queue/executor.ts). Callers
 * see no difference: same inputs, same results, the same coded errors.
 */
import { cpus } from 'node:os';
import type { JobKind, JobKinds } from './kinds/index.js';
import { jobEntry, runJob } from './runner.js';
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
}

export const ENTRY = jobEntry('entry', import.meta.url);

/** A counting semaphore: at most `width` callers inside at once, served in arrival order. */
function limiter(width: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= width) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Child processes on this machine, `width` at once (default: one per core). */
export function localExecutor(width = cpus().length): Executor {
  const limit = limiter(Math.max(1, width));
  return {
    name: 'local',
    run: (kind, input, o) => limit(() => runJob<EntryRequest, never>(ENTRY, { kind, input }, o)),
    close: async () => {},
  };
}

let shared: Executor | undefined;
/** The process-wide local executor (one per core) used when a caller names none. */
export function defaultExecutor(): Executor {
  return (shared ??= localExecutor());
}
