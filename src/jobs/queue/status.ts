/** `actbench queue status`: the queue's jobs per coordinating run — waiting, active, delayed, failed, done — and each failure's code. */
import { Queue } from 'bullmq';
import { bullConnection, checkQueue } from './connection.js';
import { failureCode, QUEUE_NAME, type QueuedJob } from './names.js';
import type { QueueAddress } from './url.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof STATES)[number];

export interface RunStatus {
  run: string;
  counts: Record<JobState, number>;
  failed: { label: string; code: string; attempts: number }[];
}

export interface QueueStatus {
  url: string;
  workers: number;
  runs: RunStatus[];
}

export async function queueStatus(url: QueueAddress): Promise<QueueStatus> {
  await checkQueue(url);
  const queue = new Queue<QueuedJob>(QUEUE_NAME, { connection: bullConnection(url) });
  queue.on('error', () => {});
  try {
    const runs = new Map<string, RunStatus>();
    for (const state of STATES) {
      for (const job of await queue.getJobs([state])) {
        if (!job) continue;
        const run = job.data?.run ?? '?';
        const r = runs.get(run) ?? { run, counts: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 }, failed: [] };
        r.counts[state]++;
        if (state === 'failed') r.failed.push({ label: job.data?.label ?? String(job.id), code: failureCode(job.failedReason), attempts: job.attemptsMade });
        runs.set(run, r);
      }
    }
    const workers = (await queue.getWorkers()).length;
    return { url: url.display, workers, runs: [...runs.values()].sort((a, b) => a.run.localeCompare(b.run)) };
  } finally {
    await queue.close();
  }
}
