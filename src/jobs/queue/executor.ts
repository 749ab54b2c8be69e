/**
 * The `queue` executor: each job goes to BullMQ under its content-hash id and its result is gathered by
 * that id. Re-sending a job that is queued, running or finished is a no-op (BullMQ keeps one job per id),
 * so a coordinator killed and restarted picks up the results its workers finished meanwhile and waits
 * for the ones still running; only a job that failed for good is sent again. Paths in a job's input are
 * made relative to the shared artifacts directory, which each worker resolves against its own --artifacts.
 * Without --artifacts, the kinds whose files are single small files (a model to evaluate, a corrupted
 * shard) send them through Redis instead (./blobs.ts); the others use the working directory as before.
 */
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { ActbenchError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { Executor, RunJobOptions } from '../executor.js';
import { jobFiles, relocate, type JobKind } from '../kinds/index.js';
import { jobKey } from '../key.js';
import { BlobStore } from './blobs.js';
import { bullConnection, checkQueue, redisClient } from './connection.js';
import { ATTEMPTS, BACKOFF, decodeFailure, jobId, KEEP_SECONDS, QUEUE_NAME, type QueuedJob, type Transfer, type TransferResult } from './names.js';
import type { QueueAddress } from './url.js';

export interface QueueExecutorOptions {
  url: QueueAddress;
  /** the coordinating run, shown per job by `queue status` (its output directory) */
  run: string;
  /** the directory every worker sees (shared file system); default: the working directory, or Redis for small files (./blobs.ts) */
  artifacts?: string;
  /** the executor's own notices (no worker connected yet) */
  log?: (line: string) => void;
}

export async function queueExecutor(o: QueueExecutorOptions): Promise<Executor> {
  await checkQueue(o.url);
  const connection = bullConnection(o.url);
  const queue = new Queue<QueuedJob>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  // connection trouble after the check: BullMQ reconnects; the messages must not print the URL as typed
  queue.on('error', () => {});
  events.on('error', () => {});
  await events.waitUntilReady();
  let warned = false;
  const root = resolve(o.artifacts ?? process.cwd());
  const toArtifacts = (p: string) => {
    const rel = relative(root, resolve(p));
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new ActbenchError('QUEUE_OUTSIDE_ARTIFACTS', `${p} is outside the artifacts directory ${root}: the queue's workers would not see it; put the outputs (and the models to evaluate) under --artifacts, or pass --artifacts a directory above them`, { file: p, field: '--artifacts' });
    }
    return rel === '' ? '.' : rel;
  };
  const finished = async (job: Job<QueuedJob>, label: string): Promise<unknown> => {
    try {
      return await job.waitUntilFinished(events);
    } catch {
      const now = await queue.getJob(job.id as string);
      throw decodeFailure(now?.failedReason, label);
    }
  };
  const blobs = new BlobStore(redisClient(o.url));
  // blobs this executor put, by how many of its jobs still need them
  const held = new Map<string, number>();
  const release = async (shas: string[]) => {
    const gone = shas.filter((sha) => {
      const n = (held.get(sha) ?? 1) - 1;
      if (n > 0) held.set(sha, n);
      else held.delete(sha);
      return n <= 0;
    });
    await blobs.drop(gone);
  };
  /** Send the job (unless it is queued, running or done already) and wait for its return value. */
  const submit = async (kind: JobKind, data: unknown, transfer: Transfer | undefined, r: RunJobOptions, fresh = false): Promise<unknown> => {
    const key = jobKey(kind, data);
    const id = jobId(kind, key);
    let job = await queue.getJob(id);
    const state = job ? await job.getState() : undefined;
    if (job && state === 'completed' && !fresh) return job.returnvalue;
    if (job && (state === 'failed' || (fresh && state === 'completed'))) {
      // failed for good on an earlier run (the cause may have been fixed), or its files are gone: send it again
      await job.remove();
      job = undefined;
    }
    if (!job) {
      job = await queue.add(kind, { kind, input: data, key, run: o.run, label: r.label, ...(transfer ? { transfer } : {}) }, {
        jobId: id, attempts: ATTEMPTS, backoff: BACKOFF, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS },
      });
    }
    r.log?.(`${r.label}: queued as ${id.slice(0, 24)}…`);
    if (!warned && (await queue.getWorkers()).length === 0) {
      warned = true;
      (o.log ?? r.log)?.(`no worker is connected to ${o.url.display} yet: the jobs wait for \`actbench worker --queue ${o.url.display}${o.artifacts ? ' --artifacts DIR' : ''}\``);
    }
    return finished(job, r.label);
  };
  /** A job whose files travel through Redis: its inputs put as blobs, the files it wrote fetched to where the caller wants them. */
  const viaRedis = async (kind: JobKind, input: unknown, files: { reads: string[]; writes: string[] }, r: RunJobOptions): Promise<unknown> => {
    const at = new Map<string, string>();
    const transfer: Transfer = { reads: {}, writes: [] };
    const put: string[] = [];
    try {
      for (const p of files.reads) {
        const sha = await blobs.putFile(p);
        held.set(sha, (held.get(sha) ?? 0) + 1);
        put.push(sha);
        // the blob's hash in the path: the job's key changes with the file's content
        const rel = `in/${sha}/${basename(p)}`;
        at.set(p, rel);
        transfer.reads[rel] = sha;
      }
      files.writes.forEach((p, k) => {
        const rel = `out/${k}/${basename(p)}`;
        at.set(p, rel);
        transfer.writes.push(rel);
      });
      // the other paths (data sets, CIFAR-C directories) are read in place on every worker
      const data = relocate(kind as never, input as never, (p) => at.get(p) ?? resolve(p));
      for (let attempt = 0; ; attempt++) {
        const back = (await submit(kind, data, transfer, r, attempt > 0)) as TransferResult;
        try {
          for (const p of files.writes) {
            const rel = at.get(p) as string;
            writeFileAtomic(p, await blobs.get(back.written[rel] ?? '', p));
          }
        } catch (e) {
          // a finished job whose files expired or were fetched by an earlier run: run it once more
          if (attempt === 0 && e instanceof ActbenchError && e.code === 'QUEUE_ARTIFACT_MISSING') continue;
          throw e;
        }
        await blobs.drop(Object.values(back.written));
        return back.result;
      }
    } finally {
      await release(put);
    }
  };
  return {
    name: 'queue',
    async run(kind, input, r) {
      // without a shared directory, the kinds whose files are single small files send them through Redis
      const files = o.artifacts === undefined ? jobFiles(kind, input) : null;
      if (files) return (await viaRedis(kind, input, files, r)) as never;
      return (await submit(kind, relocate(kind, input, toArtifacts), undefined, r)) as never;
    },
    async close() {
      await blobs.drop([...held.keys()]);
      held.clear();
      await blobs.close();
      await events.close();
      await queue.close();
    },
  };
}
