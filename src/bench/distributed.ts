/**
 * `npm run bench -- distributed`: the same search (same seed and budget, batches of 4) through the queue
 * with 1, 2 and 4 `actbench worker` processes on this machine, against a redis-server started for the
 * bench on a free loopback port; and the queue's overhead per job: an `echo` job (no work) through the
 * queue against the same job on the local executor; and the local executor's pool against a process per job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSearch } from '../api/search.js';
import type { EntryRequest } from '../jobs/entry.js';
import { ENTRY, localExecutor, type Executor } from '../jobs/executor.js';
import { sha256, shardSet } from '../jobs/kinds/corrupt-shard.js';
import type { JobKind, JobKinds } from '../jobs/kinds/index.js';
import { runJob } from '../jobs/runner.js';
import { jobKey } from '../jobs/key.js';
import { bullConnection, checkQueue } from '../jobs/queue/connection.js';
import { jobId, QUEUE_NAME } from '../jobs/queue/names.js';
import { queueExecutor } from '../jobs/queue/executor.js';
import { parseQueueUrl } from '../jobs/queue/url.js';
import { machineInfo, machineLine } from './machine.js';

export interface DistributedBench {
  recipe: string;
  rows: { workers: number; seconds: number; perCandidate: number; identical: boolean }[];
  localSeconds: number;
  /** ms per echo job: on the local executor; through the queue (round trip, the worker's part, the queue's part) */
  overhead: { jobs: number; localMs: number; queueMs: number; workerMs: number; roundTripMs: number };
  evaluations: number;
  machine: string;
  /** load average (1, 5, 15 min) when the bench started */
  load: number[];
}

const BIN = fileURLToPath(new URL('../cli/bin.ts', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function redisServer(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const p = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let k = 0; ; k++) {
    try {
      await checkQueue(parseQueueUrl(url), 500);
      break;
    } catch (e) {
      if (k > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop: () => p.kill('SIGKILL') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Per-job wall times of `n` echo jobs one after another, and (through the queue) the worker's time on each. */
async function echoMs(ex: Executor, n: number, salt: string, queue?: Queue): Promise<{ wall: number[]; worker: number[] }> {
  const wall: number[] = [];
  const worker: number[] = [];
  for (let k = 0; k < n; k++) {
    const input = { value: `${salt}-${k}` };
    const t0 = performance.now();
    await ex.run('echo', input, { label: `echo ${k}` });
    wall.push(performance.now() - t0);
    const job = await queue?.getJob(jobId('echo', jobKey('echo', input)));
    if (job?.processedOn && job.finishedOn) worker.push(job.finishedOn - job.processedOn);
  }
  return { wall, worker };
}

export async function benchDistributed(o: { log?: (l: string) => void; budget?: number; workers?: number[] } = {}): Promise<DistributedBench> {
  const log = o.log ?? (() => {});
  const load = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'actbench-bench-distributed-'));
  const redis = await redisServer();
  const procs: ChildProcess[] = [];
  try {
    const budget = o.budget ?? 12;
    const recipe = { model: 'mlp', data: 'mnist', budget, population: 4, sample: 2, threshold: 0, seed: 1, workers: 4, epochs: 1, limitTrain: 1000, limitTest: 200, lr: 0.05, fitness: 'accuracy' as const, latencyWeight: 0 };
    const strip = (s: Awaited<ReturnType<typeof runSearch>>) => JSON.stringify(s.state.history.map(({ seconds: _s, ...c }) => c));
    log(`distributed: local search (budget ${budget}, batches of 4, ${cpus().length} cores) …`);
    let t0 = performance.now();
    const local = await runSearch({ ...recipe, out: join(dir, 'local') });
    const localSeconds = (performance.now() - t0) / 1000;
    const rows: DistributedBench['rows'] = [];
    for (const n of o.workers ?? [1, 2, 4]) {
      const ws = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', BIN, 'worker', '--queue', redis.url, '--concurrency', '1', '--artifacts', dir], { stdio: 'ignore' }));
      procs.push(...ws);
      log(`distributed: ${n} worker(s) …`);
      t0 = performance.now();
      const r = await runSearch({ ...recipe, out: join(dir, `queue-${n}`), queue: redis.url, artifacts: dir });
      const seconds = (performance.now() - t0) / 1000;
      rows.push({ workers: n, seconds, perCandidate: seconds / (budget + 1), identical: strip(r) === strip(local) });
      for (const w of ws) w.kill('SIGTERM');
      await Promise.all(ws.map((w) => new Promise((res) => (w.exitCode !== null ? res(null) : w.once('exit', res)))));
    }
    // overhead: echo jobs, one at a time, through one worker and locally
    const w = spawn(process.execPath, ['--import', 'tsx', BIN, 'worker', '--queue', redis.url, '--concurrency', '1', '--artifacts', dir], { stdio: 'ignore' });
    procs.push(w);
    const q = await queueExecutor({ url: parseQueueUrl(redis.url), run: 'bench', artifacts: dir });
    const probe = new Queue(QUEUE_NAME, { connection: bullConnection(parseQueueUrl(redis.url)) });
    const jobs = 15;
    await echoMs(q, 2, 'warm');
    const viaQueue = await echoMs(q, jobs, 'q', probe);
    await probe.close();
    await q.close();
    const onLocal = await echoMs(localExecutor(1), jobs, 'l');
    // the queue's own part: the round trip less the worker's time running the job (its process start included)
    const queueMs = median(viaQueue.wall.map((w, k) => w - viaQueue.worker[k]));
    return { recipe: `mlp on mnist, ${recipe.limitTrain} training images, 1 epoch per candidate, budget ${budget} + the ReLU baseline, population 4, sample 2, batches of 4, seed 1`, rows, localSeconds, overhead: { jobs, localMs: median(onLocal.wall), queueMs, workerMs: median(viaQueue.worker), roundTripMs: median(viaQueue.wall) }, evaluations: budget + 1, machine: machineLine(machineInfo()), load };
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PoolBench {
  /** jobs/s and ms per job, one process per job (the executor before the pool) and on the pool */
  rows: { kind: string; jobs: number; width: number; perJobProcess: number; pool: number; identical: boolean }[];
  machine: string;
  load: number[];
}

/**
 * The local executor before and after the pool (issue 11): the same jobs, `width` at once, each in its own
 * fresh process (runJob on the fixed entry) and on the long-lived pool; jobs/s and whether the results match.
 */
export async function benchLocalPool(o: { log?: (l: string) => void; jobs?: number; width?: number } = {}): Promise<PoolBench> {
  const log = o.log ?? (() => {});
  const load = loadavg();
  const width = o.width ?? cpus().length;
  const n = o.jobs ?? 24;
  const dir = mkdtempSync(join(tmpdir(), 'actbench-bench-pool-'));
  const set = shardSet('mnist', 'test', 1000).set;
  const px = set.height * set.width * set.channels;
  const kinds: { kind: JobKind; input: (k: number) => JobKinds[JobKind]['input'] }[] = [
    { kind: 'echo', input: (k) => ({ value: k }) },
    // a corrupt shard of 40 MNIST images: the dataset loaded by each job (once per process on the pool)
    { kind: 'corrupt-shard', input: (k) => ({ data: 'mnist', split: 'test', limit: 1000, corruption: 'gaussian_noise', severity: 3, start: k * 40, end: k * 40 + 40, seed: 1, rowsSha256: sha256(set.images.slice(k * 40 * px, (k * 40 + 40) * px)), out: join(dir, `shard-${k}.u8`) }) },
  ];
  const rows: PoolBench['rows'] = [];
  try {
    for (const { kind, input } of kinds) {
      const time = async (run: (k: number) => Promise<unknown>) => {
        const t0 = performance.now();
        const out = await Promise.all(Array.from({ length: n }, (_, k) => run(k)));
        return { jobsPerSecond: n / ((performance.now() - t0) / 1000), out: JSON.stringify(out) };
      };
      log(`pool: ${n} ${kind} jobs, ${width} at once, a process per job …`);
      const limit = limiter(width);
      const before = await time((k) => limit(() => runJob<EntryRequest, unknown>(ENTRY, { kind, input: input(k) }, { label: `${kind} ${k}` })));
      log(`pool: the same on the pool …`);
      const pool = localExecutor(width);
      await pool.run('echo', { value: 'warm' }, { label: 'warm' });
      const after = await time((k) => pool.run(kind, input(k) as never, { label: `${kind} ${k}` }));
      await pool.close();
      rows.push({ kind, jobs: n, width, perJobProcess: before.jobsPerSecond, pool: after.jobsPerSecond, identical: before.out === after.out });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, machine: machineLine(machineInfo()), load };
}

/** A counting semaphore: at most `width` callers inside at once (the executor before the pool). */
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

export function localPoolMarkdown(r: PoolBench, command: string): string {
  return [
    '## Local executor: a process per job vs the long-lived pool',
    '',
    `The same jobs, ${r.rows[0]?.width} at once (one per core), each in a fresh Node process on the fixed job entry (the executor before issue 11's pool) and on the pool of long-lived processes (started once, warmed by one echo job).`,
    '',
    '| job | jobs | a process per job (jobs/s) | pool (jobs/s) | speed-up | same results |',
    '|---|---:|---:|---:|---:|---|',
    ...r.rows.map((x) => `| ${x.kind === 'echo' ? '`echo` (no work)' : '`corrupt-shard` (40 MNIST images, gaussian_noise/3)'} | ${x.jobs} | ${x.perJobProcess.toFixed(2)} | ${x.pool.toFixed(2)} | ${(x.pool / x.perJobProcess).toFixed(1)}× | ${x.identical ? 'yes' : '**no**'} |`),
    '',
    `Machine: ${r.machine}; load average when it started ${r.load.map((x) => x.toFixed(2)).join(', ')}. Reproduce: \`${command}\`.`,
    '',
  ].join('\n');
}

export function distributedBenchMarkdown(r: DistributedBench, command: string): string {
  const base = r.rows.find((x) => x.workers === 1)?.seconds ?? r.rows[0].seconds;
  return [
    '# Distributed search: 1, 2 and 4 queue workers on one machine',
    '',
    `${r.recipe}. The same search (same seed, same budget) through BullMQ on a local redis-server with N \`actbench worker\` processes (\`--concurrency 1\` each), and on the local executor.`,
    '',
    '| executor | wall s | s per evaluation | speed-up vs 1 worker | same candidates and fitness as local |',
    '|---|---:|---:|---:|---|',
    `| local (child processes, batches of 4) | ${r.localSeconds.toFixed(1)} | ${(r.localSeconds / r.evaluations).toFixed(2)} | – | – |`,
    ...r.rows.map((x) => `| queue, ${x.workers} worker${x.workers > 1 ? 's' : ''} | ${x.seconds.toFixed(1)} | ${x.perCandidate.toFixed(2)} | ${(base / x.seconds).toFixed(2)}× | ${x.identical ? 'yes' : '**no**'} |`),
    '',
    `Queue overhead per job: an \`echo\` job (no work), one at a time, median of ${r.overhead.jobs}: ${r.overhead.roundTripMs.toFixed(0)} ms from the coordinator's add to its result, of which ${r.overhead.workerMs.toFixed(0)} ms on the worker (starting the job's own Node process), so **${r.overhead.queueMs.toFixed(0)} ms is the queue** (add, pick-up, result event through Redis). ` +
      `The same job on the local executor's pool (a warm process, no start): ${r.overhead.localMs.toFixed(0)} ms. ` +
      'A candidate\'s training costs seconds to minutes, so the queue is not what limits scaling; the cores are.',
    '',
    `Machine: ${r.machine}; load average when the bench started ${r.load.map((x) => x.toFixed(2)).join(', ')} (a shared machine: more workers than cores only queue for the CPU).`,
    '',
    `Reproduce: \`${command}\`.`,
    '',
  ].join('\n');
}
