/**
 * The `queue` executor: each job goes to BullMQ under its content-hash id and its result is gathered by
 * that id. Re-sending a job that is queued, running or finished is a no-op (BullMQ keeps one job per id),
 * so a coordinator killed and restarted picks up the results its workers finished meanwhile and waits
 * for the ones still running; only a job that failed for good is sent again. Paths in a job's input are
 * made relative to the shared artifacts directory, which each worker resolves against its own --artifacts.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { ActbenchError } from '../../errors.js';
import type { Executor } from '../executor.js';
import { relocate } from '../kinds/index.js';
import { jobKey } from '../key.js';
import { bullConnection, checkQueue } from './connection.js';
import { ATTEMPTS, BACKOFF, decodeFailure, jobId, KEEP_SECONDS, QUEUE_NAME, type QueuedJob } from './names.js';
import type { QueueAddress } from './url.js';

export interface QueueExecutorOptions {
  url: QueueAddress;
  /** the coordinating run, shown per job by `queue status` (its output directory) */
  run: string;
  /** the directory every worker sees (shared file system); default: this process's working directory */
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
      throw new ActbenchError('QUEUE_OUTSIDE_ARTIFACTS', `${p} is outside the artifacts directory ${root}: the queue's workers would not see it; put the outputs under --artifacts (or pass --artifacts a directory above them)`, { file: p, field: '--artifacts' });
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
  return {
    name: 'queue',
    async run(kind, input, r) {
      const data = relocate(kind, input, toArtifacts);
      const key = jobKey(kind, data);
      const id = jobId(kind, key);
      let job = await queue.getJob(id);
      const state = job ? await job.getState() : undefined;
      if (job && state === 'completed') return job.returnvalue as never;
      if (job && state === 'failed') {
        // failed for good on an earlier run: this run sends it again (the cause may have been fixed)
        await job.remove();
        job = undefined;
      }
      if (!job) {
        job = await queue.add(kind, { kind, input: data, key, run: o.run, label: r.label }, {
          jobId: id, attempts: ATTEMPTS, backoff: BACKOFF, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS },
        });
      }
      r.log?.(`${r.label}: queued as ${id.slice(0, 24)}…`);
      if (!warned && (await queue.getWorkers()).length === 0) {
        warned = true;
        (o.log ?? r.log)?.(`no worker is connected to ${o.url.display} yet: the jobs wait for \`actbench worker --queue ${o.url.display} --artifacts DIR\``);
      }
      return (await finished(job, r.label)) as never;
    },
    async close() {
      await events.close();
      await queue.close();
    },
  };
}
