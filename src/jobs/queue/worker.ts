/**
 * `actbench worker`: take jobs from the queue and run each in a child process on the fixed job entry, with
 * the working directory at --artifacts (where the jobs' relative paths start). A deterministic failure
 * (a coded error for this input: bad input, a NaN where none may be) is final — UnrecoverableError, no
 * retry — and carries its code; a transient one (a killed child, a full disk) is retried with backoff.
 * A worker killed outright (kill -9, a lost machine) stops renewing its jobs' locks: BullMQ's stalled-job
 * check in the other workers puts them back in the queue, and the job kinds are idempotent (a training
 * resumes from its checkpoint), so the result equals an uninterrupted run's.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { ActbenchError } from '../../errors.js';
import type { BackendRequest } from '../../train/backend.js';
import { ENTRY } from '../executor.js';
import type { EntryRequest } from '../entry.js';
import { runJob } from '../runner.js';
import { pidAlive } from '../../util/pid.js';
import { BlobStore } from './blobs.js';
import { bullConnection, checkQueue, redisClient } from './connection.js';
import { encodeFailure, isTransient, QUEUE_NAME, type QueuedJob, type Transfer } from './names.js';
import { redact, type QueueAddress } from './url.js';

export interface WorkerOptions {
  url: QueueAddress;
  /** jobs at once (each in its own process) */
  concurrency: number;
  artifacts?: string;
  backend?: BackendRequest;
  /** how long a job's lock lasts without renewal: a dead worker's jobs return to the queue after this */
  lockMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  /** finish the jobs in hand, then stop */
  close(): Promise<void>;
  /** resolves when the worker stopped */
  closed: Promise<void>;
}

/** A job's scratch directory: the prefix, the worker's pid, a random part. */
const SCRATCH_PREFIX = 'actbench-job-';

/** Scratch directories of workers that died without cleaning up (kill -9, a lost machine): removed on start. */
export function sweepScratch(dir = tmpdir()): string[] {
  const gone: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    gone.push(name);
  }
  return gone;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  await checkQueue(o.url);
  sweepScratch();
  const log = o.log ?? (() => {});
  const cwd = resolve(o.artifacts ?? process.cwd());
  const lockDuration = o.lockMs ?? 30000;
  const blobs = new BlobStore(redisClient(o.url));
  const worker = new Worker<QueuedJob>(
    QUEUE_NAME,
    async (job) => {
      const { kind, input, label, transfer } = job.data;
      log(`start ${label} (attempt ${job.attemptsMade + 1})`);
      // files through Redis: the job runs in a scratch directory holding its input blobs, and its outputs go back as blobs
      const scratch = transfer ? mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`)) : undefined;
      try {
        if (transfer && scratch) await placeBlobs(blobs, transfer, scratch);
        const result = await runJob<EntryRequest, unknown>(ENTRY, { kind, input, ctx: { backend: o.backend } }, { label, cwd: scratch ?? cwd, detached: true, log: (l) => log(`  ${l}`) });
        const back: unknown = transfer && scratch ? { result, written: await sendBlobs(blobs, transfer, scratch) } : result;
        log(`done ${label}`);
        return back;
      } catch (e) {
        const code = e instanceof ActbenchError ? e.code : 'JOB_INTERNAL';
        log(`failed ${label}: [${code}] ${redact((e as Error).message)}`);
        if (e instanceof ActbenchError && !isTransient(code)) throw new UnrecoverableError(encodeFailure(e));
        throw new Error(encodeFailure(e));
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    },
    // a stalled job (its worker died) goes back to the queue up to 3 times before it fails
    // autorun off: no job is taken before the worker is ready and has said where it runs
    { connection: bullConnection(o.url), concurrency: o.concurrency, lockDuration, stalledInterval: lockDuration, maxStalledCount: 3, autorun: false },
  );
  worker.on('error', (e) => log(`queue connection: ${redact(e.message)}`));
  const closed = new Promise<void>((r) => worker.once('closed', () => r()));
  await worker.waitUntilReady();
  log(`worker on ${o.url.display}: ${o.concurrency} at a time, artifacts in ${cwd}`);
  worker.run().catch((e: Error) => worker.emit('error', e));
  void closed.then(() => blobs.close());
  return { close: () => worker.close(), closed };
}

async function placeBlobs(blobs: BlobStore, t: Transfer, dir: string): Promise<void> {
  for (const [rel, sha] of Object.entries(t.reads)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await blobs.get(sha, rel));
  }
}

async function sendBlobs(blobs: BlobStore, t: Transfer, dir: string): Promise<Record<string, string>> {
  const written: Record<string, string> = {};
  for (const rel of t.writes) written[rel] = await blobs.putFile(join(dir, rel));
  return written;
}
