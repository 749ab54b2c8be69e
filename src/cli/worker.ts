/** `actbench worker` and `actbench queue status`. Parse flags, call src/jobs/queue/, print. */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { parseQueueUrl } from '../jobs/queue/url.js';
import { startWorker, type RunningWorker } from '../jobs/queue/worker.js';
import { queueStatus } from '../jobs/queue/status.js';
import { parseBackend, type BackendRequest } from '../train/backend.js';
import { deferFirstSignal } from '../util/signals.js';
import { positiveInt } from './parse-flags.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run jobs (trainings, search candidates) from a queue until stopped; SIGINT/SIGTERM release the jobs in hand')
    .requiredOption('--queue <url>', 'redis://[user:pass@]HOST:PORT[/DB] or rediss:// (TLS)')
    .option('--concurrency <n>', 'jobs at once, each in its own process (default: one per core)', positiveInt('--concurrency'))
    .option('--artifacts <dir>', "the shared directory the coordinators' outputs live in (default: the working directory)")
    .option('--backend <name>', 'TF.js backend for the trainings (auto, tensorflow, native, wasm, cpu)', parseBackend)
    .option('--lock-ms <ms>', "how long a job's lock lasts; a dead worker's jobs are retried after this", positiveInt('--lock-ms'), 30000)
    .action(async (f: { queue: string; concurrency?: number; artifacts?: string; backend?: BackendRequest; lockMs: number }) => {
      const url = parseQueueUrl(f.queue);
      // first SIGINT/SIGTERM: take no new job, finish those in hand; a second: stop them (they return to the queue).
      // Installed before the worker starts: it may take a job before startWorker returns.
      let w: RunningWorker | undefined;
      let stopping = false;
      deferFirstSignal((sig) => {
        console.error(`${sig}: finishing the jobs in hand (${sig} again stops them; the queue gives them to another worker)`);
        stopping = true;
        void w?.close();
      });
      w = await startWorker({ url, concurrency: f.concurrency ?? cpus().length, artifacts: f.artifacts, backend: f.backend, lockMs: f.lockMs, log: (l) => console.error(l) });
      if (stopping) void w.close();
      await w.closed;
    });
  program
    .command('queue')
    .description('the job queue')
    .command('status <url>')
    .description('waiting / active / failed jobs per run, and the workers connected')
    .option('--json', 'print JSON')
    .action(async (u: string, f: { json?: boolean }) => {
      const s = await queueStatus(parseQueueUrl(u, 'url'));
      if (f.json) {
        console.log(JSON.stringify(s, null, 2));
        return;
      }
      console.log(`queue ${s.url}: ${s.workers} worker connection(s)`);
      if (s.runs.length === 0) console.log('  no jobs');
      for (const r of s.runs) {
        const c = r.counts;
        console.log(`  ${r.run}: ${c.waiting} waiting, ${c.active} active, ${c.delayed} delayed (retry backoff), ${c.failed} failed, ${c.completed} done`);
        for (const x of r.failed) console.log(`    failed [${x.code}] ${x.label} (${x.attempts} attempts)`);
      }
    });
}
