/**
 * The parent side of a job: fork a Node child on a job entry (src/jobs/*-job.ts, or its compiled .js),
 * send it one typed request, and resolve with its typed result — or reject with the child's own coded
 * error (code, file, field, exit status kept), or JOB_DIED when the child ended without answering.
 *
 * Library calls never re-run the CLI: the child imports the API directly. Children die with their parent:
 * every live child is sent SIGTERM from the parent's exit and signal clean-ups, and a child whose IPC
 * channel closes (the parent was killed, even with SIGKILL) exits by itself (src/jobs/serve.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ActbenchError } from '../errors.js';
import { onExit } from '../util/signals.js';
import { fromFailure, type ChildMessage, type JobFailure, type ParentMessage } from './protocol.js';

const live = new Set<ChildProcess>();
let hooked = false;

/** Stop every running child job (SIGTERM: they run their own clean-ups); used on exit and on signals. */
export function killAllJobs(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of live) {
    try {
      c.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Pids of the child jobs running now (tests, diagnostics). */
export function liveJobPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => typeof p === 'number');
}

/** A job entry next to the calling module: `.ts` when running from source, `.js` from dist/. */
export function jobEntry(name: string, base: string | URL): URL {
  const ext = String(base).endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, base);
}

/** Node flags for the child: tsx's loader for a .ts entry (resolved from this package, not the cwd); memory limits kept. */
function childExecArgv(entry: URL): string[] {
  const keep = process.execArgv.filter((a) => /^--(max-old-space-size|max-semi-space-size|stack-size)=/.test(a));
  if (!entry.pathname.endsWith('.ts')) return keep;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [...keep, '--import', tsx];
}

export interface JobOptions {
  /** what the job is, for messages ('train relu seed 1') */
  label: string;
  /** log lines from the job (its own log and its stdout) */
  log?: (line: string) => void;
  /** the child's working directory (a queue worker's --artifacts: the jobs' relative paths start there) */
  cwd?: string;
  /** its own process group: a Ctrl-C at the terminal reaches the parent only, which decides (a worker finishing its jobs) */
  detached?: boolean;
}

/**
 * Fork a child on a job entry, tracked so that it dies with this process (the one-job runner below, and the
 * long-lived local pool, ./pool.ts). Throws JOB_START_FAILED.
 */
export function forkJobChild(entry: URL, o: { label: string; cwd?: string; detached?: boolean; args?: string[] }): ChildProcess {
  if (!hooked) {
    hooked = true;
    onExit(() => killAllJobs());
  }
  let child: ChildProcess;
  try {
    child = fork(fileURLToPath(entry), o.args ?? [], { cwd: o.cwd, detached: o.detached, execArgv: childExecArgv(entry), stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  } catch (e) {
    throw new ActbenchError('JOB_START_FAILED', `${o.label}: could not start a child job (${(e as Error).message})`);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function runJob<Request, Result>(entry: URL, request: Request, o: JobOptions): Promise<Result> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = forkJobChild(entry, o);
    } catch (e) {
      reject(e);
      return;
    }
    let answer: { ok: true; result: Result } | { ok: false; error: JobFailure } | undefined;
    const stderr: string[] = [];
    const lines = (d: Buffer, sink: (l: string) => void) => d.toString().split('\n').filter((l) => l.trim()).forEach(sink);
    child.stdout?.on('data', (d: Buffer) => lines(d, (l) => o.log?.(l)));
    child.stderr?.on('data', (d: Buffer) =>
      lines(d, (l) => {
        stderr.push(l);
        if (stderr.length > 20) stderr.shift();
      }),
    );
    child.on('message', (m: ChildMessage<Result>) => {
      if (m.type === 'log') o.log?.(m.line);
      else if (m.type === 'done') answer = { ok: true, result: m.result };
      else if (m.type === 'failed') answer = { ok: false, error: m.error };
    });
    child.on('error', (e) => {
      if (!answer) answer = { ok: false, error: { code: 'JOB_START_FAILED', message: `could not run the child job: ${e.message}` } };
    });
    child.on('exit', (code, signal) => {
      if (answer?.ok) resolve(answer.result);
      else if (answer) reject(fromFailure(answer.error, o.label));
      else {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        const tail = stderr.slice(-3).join(' | ');
        reject(new ActbenchError('JOB_DIED', `${o.label}: the child job (pid ${child.pid}) ${how} before answering${tail ? `: ${tail}` : ''}`));
      }
    });
    const msg: ParentMessage<Request> = { type: 'run', request };
    child.send(msg);
  });
}

/** Map over items with at most `width` running at once; every item runs even when one fails (failures are returned, in order). */
export async function inParallel<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>): Promise<{ item: T; error: unknown }[]> {
  const queue = [...items];
  const failed: { item: T; error: unknown; at: number }[] = [];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(width, items.length)) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const at = items.length - queue.length - 1;
        try {
          await fn(t);
        } catch (error) {
          failed.push({ item: t, error, at });
        }
      }
    }),
  );
  return failed.sort((a, b) => a.at - b.at).map(({ item, error }) => ({ item, error }));
}
