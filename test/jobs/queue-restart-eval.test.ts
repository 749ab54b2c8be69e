/**
 * `actbench eval --queue` killed -9 mid-run and restarted (issue 11), two workers that keep running: the
 * restarted command gathers what the workers finished meanwhile; its records equal an uninterrupted local
 * eval's, each cell once, and the workers' logs show every job ran exactly once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvalRecord } from '../../src/results/store.js';
import { tinyModel } from '../runtime/tiny-onnx.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { executions, harness } from './restart.js';
import { alive } from './wait.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-queue-restart-eval-'));
let redis: TestRedis;
const { cli, exited, worker, killAndRestart, killAll } = harness(() => redis.url, dir);
const model = join(dir, 'models', 'tiny.onnx');
before(async () => {
  redis = await startRedis();
  mkdirSync(join(dir, 'models'));
  writeFileSync(model, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight: (p, k) => Math.sin(p * 0.07 + k * 0.3) / 40 }));
});
after(async () => {
  killAll();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What must not depend on where and when a cell ran. */
const outcome = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, provenance, ...r } = JSON.parse(l) as EvalRecord;
    return { ...r, provenance: { ...provenance, time: '', machine: provenance.machine.replace(/, [0-9T:.-]+Z$/, '') } };
  });

describe('the eval coordinator killed -9 and restarted', () => {
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
});
