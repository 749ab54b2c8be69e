/**
 * The coordinating command killed -9 mid-run and restarted (issue 11): `actbench eval --queue` and
 * `actbench corrupt --queue` as child processes, two workers that keep running. The restarted command
 * gathers what the workers finished meanwhile: its results equal an uninterrupted local run, with no
 * record or file duplicated or missing, and the workers' logs show every job ran exactly once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvalRecord } from '../../src/results/store.js';
import { tinyModel } from '../runtime/tiny-onnx.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { alive, waitFor } from './wait.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-queue-restart-'));
let redis: TestRedis;
const procs: ChildProcess[] = [];
const model = join(dir, 'models', 'tiny.onnx');
before(async () => {
  redis = await startRedis();
  mkdirSync(join(dir, 'models'));
  writeFileSync(model, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight: (p, k) => Math.sin(p * 0.07 + k * 0.3) / 40 }));
});
after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], log: string[]) => {
  const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
  procs.push(p);
  return p;
};
const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));
const worker = (log: string[]) => cli(['worker', '--queue', redis.url, '--concurrency', '1', '--artifacts', dir, '--lock-ms', '1500'], log);

/** How many times each job label was started and finished, over every worker's log. */
function executions(logs: string[][]): { starts: Map<string, number>; dones: Map<string, number> } {
  const starts = new Map<string, number>();
  const dones = new Map<string, number>();
  for (const line of logs.flat()) {
    const s = /^start (.*) \(attempt \d+\)$/.exec(line);
    if (s) starts.set(s[1], (starts.get(s[1]) ?? 0) + 1);
    const d = /^done (.*)$/.exec(line);
    if (d) dones.set(d[1], (dones.get(d[1]) ?? 0) + 1);
  }
  return { starts, dones };
}
const doneCount = (logs: string[][]) => logs.flat().filter((l) => l.startsWith('done ')).length;

/**
 * Start the command, kill it -9 once the workers finished `killAfter` jobs, let them finish one more while
 * it is down, restart it and wait for it; returns the two coordinators' logs.
 */
async function killAndRestart(args: string[], logs: string[][], killAfter: number): Promise<string[][]> {
  const first: string[] = [];
  const c1 = cli(args, first);
  assert.ok(await waitFor(() => doneCount(logs) >= killAfter, 60_000), `jobs finished before the kill: ${first.join('\n')}`);
  c1.kill('SIGKILL');
  await exited(c1);
  // a job finished while no coordinator listens
  assert.ok(await waitFor(() => doneCount(logs) >= killAfter + 1, 60_000), 'a job finished while the coordinator was down');
  const second: string[] = [];
  assert.equal(await exited(cli(args, second)), 0, second.join('\n'));
  return [first, second];
}

/** What must not depend on where and when a cell ran. */
const outcome = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, provenance, ...r } = JSON.parse(l) as EvalRecord;
    return { ...r, provenance: { ...provenance, time: '', machine: provenance.machine.replace(/, [0-9T:.-]+Z$/, '') } };
  });

describe('the coordinator killed -9 and restarted', () => {
  it('eval --queue: the records equal the local eval, once each, and no job ran twice', async () => {
    const logs: string[][] = [[], []];
    const ws = logs.map(worker);
    // 1 clean + 4 × 3 cells = 13 cells: jobs of 5, 5, 3 cells
    const EVAL = ['--data', 'mnist', '--limit', '40', '--corruptions', 'gaussian_noise,fog,contrast,pixelate', '--severity', '1,3,5', '--ep', 'cpu', '--batch', '40'];
    const localLog: string[] = [];
    assert.equal(await exited(cli(['eval', model, ...EVAL, '--results', join(dir, 'local.jsonl')], localLog)), 0, localLog.join('\n'));
    const coords = await killAndRestart(['eval', model, ...EVAL, '--results', join(dir, 'queued.jsonl'), '--queue', redis.url], logs, 1);
    const queued = outcome(join(dir, 'queued.jsonl'));
    assert.equal(queued.length, 13, 'every cell once');
    assert.deepEqual(queued, outcome(join(dir, 'local.jsonl')));
    const { starts, dones } = executions(logs);
    assert.equal(dones.size, 3, `3 jobs:\n${[...dones.keys()].join('\n')}\n${coords.flat().join('\n')}`);
    for (const [label, n] of [...starts, ...dones]) assert.equal(n, 1, `${label} ran once`);
    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });

  it('corrupt --queue (shards through Redis): byte-identical files, no job redone', async () => {
    const logs: string[][] = [[], []];
    const ws = logs.map(worker);
    // the pipeline sends one corruption's shards at a time: kill once the first of its two is done, the other finishes meanwhile
    const CORRUPT = ['corrupt', '--data', 'mnist', '--limit', '40', '--corruptions', 'gaussian_noise,motion_blur', '--severity', '1,3', '--seed', '3'];
    const l: string[] = [];
    assert.equal(await exited(cli([...CORRUPT, '--out', join(dir, 'c-local')], l)), 0, l.join('\n'));
    const coords = await killAndRestart([...CORRUPT, '--out', join(dir, 'c-queued'), '--queue', redis.url], logs, 1);
    const files = readdirSync(join(dir, 'c-local')).sort();
    assert.deepEqual(files, ['gaussian_noise.npy', 'labels.npy', 'manifest.json', 'motion_blur.npy']);
    assert.deepEqual(readdirSync(join(dir, 'c-queued')).sort(), files, 'no partial, progress or shard file left');
    for (const f of files) assert.ok(readFileSync(join(dir, 'c-queued', f)).equals(readFileSync(join(dir, 'c-local', f))), `${f} is byte-identical`);
    const { starts, dones } = executions(logs);
    assert.equal(dones.size, 4, `4 shards:\n${[...dones.keys()].join('\n')}\n${coords.flat().join('\n')}`);
    for (const [label, n] of [...starts, ...dones]) assert.equal(n, 1, `${label} ran once`);
    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });
});
