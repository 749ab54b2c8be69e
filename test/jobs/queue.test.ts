/**
 * The queue executor against a real redis-server (issue 11): queue URLs, job keys, coded connection errors
 * without the password, and a search through two workers — one killed with -9 mid-job, the coordinator
 * killed with -9 and resumed — equal to the local search, with no duplicated or missing records.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSearch } from '../../src/api/search.js';
import { canonicalJson, jobKey } from '../../src/jobs/key.js';
import { checkQueue } from '../../src/jobs/queue/connection.js';
import { queueExecutor } from '../../src/jobs/queue/executor.js';
import { queueStatus } from '../../src/jobs/queue/status.js';
import { parseQueueUrl, redact } from '../../src/jobs/queue/url.js';
import type { SearchState } from '../../src/search/evolution.js';
import { freePort, startRedis, type TestRedis } from './redis-server.js';
import { alive, waitFor } from './wait.js';
import { queueTestbed } from './testbed.js';
import { coded } from '../coded.js';

const { dir, redis, cli, exited } = queueTestbed('queue');
// a second server, with a password
let locked: TestRedis;
before(async () => {
  locked = await startRedis({ password: 's3cr:et' });
});
after(() => locked?.stop());


describe('queue URLs', () => {
  it('redis:// and rediss:// with user, password and database; the display form has no password', () => {
    const a = parseQueueUrl('redis://alice:p%40ss@example.org:6380/2');
    assert.deepEqual({ ...a }, { host: 'example.org', port: 6380, db: 2, tls: false, username: 'alice', password: 'p@ss', display: 'redis://alice:***@example.org:6380/2' });
    const b = parseQueueUrl('rediss://:tok@10.0.0.5');
    assert.equal(b.tls, true);
    assert.equal(b.port, 6379);
    assert.equal(b.password, 'tok');
    assert.equal(b.display, 'rediss://***@10.0.0.5:6379');
  });
  it('bad URLs are QUEUE_BAD_URL naming the field, never echoing the password', () => {
    for (const u of ['http://h:1', 'redis://', 'redis://u:hunter2@h:99999', 'redis://u:hunter2@h:1/abc', 'not a url', 'redis://h:1/0?x=1']) {
      assert.throws(() => parseQueueUrl(u), coded('QUEUE_BAD_URL', { field: '--queue', check: (e) => assert.doesNotMatch(e.message, /hunter2/) }), u);
    }
    assert.equal(redact('failed: redis://bob:hunter2@h:1/0 and rediss://:x@y'), 'failed: redis://bob:***@h:1/0 and rediss://***@y');
  });
});

describe('job keys', () => {
  it('same input → same key, whatever the key order; any change → another key; non-JSON refused', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }] }), '{"a":[2,{"c":"x","d":null}],"b":1}');
    assert.equal(jobKey('fitness', { a: 1, b: 2 }), jobKey('fitness', { b: 2, a: 1 }));
    assert.notEqual(jobKey('fitness', { a: 1 }), jobKey('train-run', { a: 1 }));
    assert.notEqual(jobKey('fitness', { a: 1 }), jobKey('fitness', { a: 1.0000001 }));
    assert.match(jobKey('fitness', {}), /^[0-9a-f]{64}$/);
    assert.throws(() => canonicalJson({ x: Number.NaN }), coded('JOB_BAD_INPUT'));
  });
});

describe('connection errors', () => {
  it('a wrong password is QUEUE_AUTH_FAILED naming the URL without the password; the right one connects', async () => {
    const wrong = parseQueueUrl(`redis://:wr0ngpass@127.0.0.1:${locked.port}`);
    await assert.rejects(checkQueue(wrong), coded('QUEUE_AUTH_FAILED', {
      message: new RegExp(`redis://\\*\\*\\*@127\\.0\\.0\\.1:${locked.port}`),
      check: (e) => assert.doesNotMatch(e.message, /wr0ngpass|s3cr/),
    }));
    const none = parseQueueUrl(`redis://127.0.0.1:${locked.port}`);
    await assert.rejects(checkQueue(none), coded('QUEUE_AUTH_FAILED'));
    const s = await queueStatus(parseQueueUrl(locked.url));
    assert.deepEqual(s.runs, []);
    assert.doesNotMatch(s.url, /s3cr/);
  });
  it('an unreachable Redis is QUEUE_UNREACHABLE; the CLI exits 1 with the code and no password', async () => {
    const port = await freePort();
    await assert.rejects(checkQueue(parseQueueUrl(`redis://127.0.0.1:${port}`)), coded('QUEUE_UNREACHABLE', new RegExp(`127\\.0\\.0\\.1:${port}`)));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'queue', 'status', `redis://u:t0psecret@127.0.0.1:${port}`], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /\[QUEUE_UNREACHABLE\]/);
    assert.match(r.stderr, new RegExp(`redis://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(r.stderr + r.stdout, /t0psecret/);
  });
});

// the same tiny search (mlp, 200 images, 1 epoch, budget 4 in batches of 2) locally and through the queue
const RECIPE = { model: 'mlp', data: 'mnist', budget: 4, population: 2, sample: 2, threshold: 0, seed: 3, workers: 2, epochs: 1, limitTrain: 200, limitTest: 32, lr: 0.05, fitness: 'accuracy' as const, latencyWeight: 0 };
const FLAGS = ['--model', 'mlp', '--data', 'mnist', '--budget', '4', '--population', '2', '--sample', '2', '--threshold', '0', '--seed', '3', '--workers', '2', '--epochs', '1', '--limit-train', '200', '--limit-test', '32', '--lr', '0.05', '--latency-weight', '0'];

/** What must not depend on where and when a candidate ran (its seconds do). */
const outcome = (s: SearchState) => s.history.map(({ seconds: _s, ...c }) => c);


describe('search through the queue (2 workers)', () => {
  it('a worker killed -9 mid-job and the coordinator killed -9 and resumed: the same candidates and fitness as the local search', async () => {
    const local = await runSearch({ ...RECIPE, out: join(dir, 'local') });
    const worker = (n: number, log: string[]) => cli(['worker', '--queue', redis().url, '--concurrency', '1', '--artifacts', dir, '--lock-ms', '1500'], log).once('exit', () => log.push(`exited ${n}`));
    const logs: string[][] = [[], [], []];
    const w0 = worker(0, logs[0]);
    const w1 = worker(1, logs[1]);
    const out = join(dir, 'queued');
    const args = ['search', ...FLAGS, '--out', out, '--queue', redis().url, '--artifacts', dir];
    const coordLog: string[] = [];
    const c1 = cli(args, coordLog);
    // kill -9 whichever worker starts a job first, while it runs; start a replacement
    let victim: ChildProcess | undefined;
    let label = '';
    assert.ok(await waitFor(() => {
      const k = logs.findIndex((l) => l.some((x) => x.startsWith('start ')));
      if (k >= 0) [victim, label] = [[w0, w1][k], (logs[k].find((x) => x.startsWith('start ')) as string).replace(/^start | \(attempt.*$/g, '')];
      return k >= 0;
    }, 60_000), `a worker started a job: ${coordLog.join('\n')}`);
    await new Promise((r) => setTimeout(r, 700));
    (victim as ChildProcess).kill('SIGKILL');
    const w2 = worker(2, logs[2]);
    // then kill -9 the coordinator once the first candidate result is saved, and run it again with --resume
    const stateFile = join(out, 'state.json');
    const saved = () => {
      try {
        const s = JSON.parse(readFileSync(stateFile, 'utf8')) as SearchState;
        return s.history.length + s.pending.filter((p) => p.result).length >= 1;
      } catch {
        return false;
      }
    };
    assert.ok(await waitFor(saved, 90_000), `a candidate finished: ${coordLog.join('\n')}`);
    c1.kill('SIGKILL');
    await exited(c1);
    const c2 = cli([...args, '--resume'], coordLog);
    assert.equal(await exited(c2), 0, coordLog.join('\n'));
    const queued = JSON.parse(readFileSync(stateFile, 'utf8')) as SearchState;
    assert.deepEqual(outcome(queued), outcome(local.state));
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'baseline-relu.json'), 'utf8')).fitness, local.baseline.fitness);
    // the queue's address is not part of the recipe: nothing written names it
    for (const f of ['search.json', 'state.json', 'report.md']) assert.doesNotMatch(readFileSync(join(out, f), 'utf8'), /redis:\/\//, f);
    // the killed worker's job was finished by another worker
    assert.ok(logs.some((l, k) => l !== logs[[w0, w1].indexOf(victim as ChildProcess)] && l.includes(`done ${label}`)), `${label} done elsewhere:\n${logs.map((l) => l.join('\n')).join('\n--\n')}`);
    // no duplicated or missing records: ids 0…3 once each, one training per trained candidate, one epoch row each
    assert.deepEqual(queued.history.map((c) => c.id), [0, 1, 2, 3]);
    const trained = queued.history.filter((c) => c.status === 'ok' || c.status === 'nan').map((c) => String(c.id));
    assert.deepEqual(readdirSync(join(out, 'candidates')).filter((d) => d !== 'relu').sort(), trained.sort());
    for (const id of [...trained, 'relu']) {
      assert.ok(existsSync(join(out, 'candidates', id, 'manifest.json')), id);
      assert.equal(readFileSync(join(out, 'candidates', id, 'log.jsonl'), 'utf8').trim().split('\n').length, 1, `epoch rows of ${id}`);
    }
    const s = await queueStatus(parseQueueUrl(redis().url));
    const run = s.runs.find((r) => r.run === out);
    assert.ok(run, JSON.stringify(s));
    assert.deepEqual({ ...run.counts }, { waiting: 0, active: 0, delayed: 0, failed: 0, completed: trained.length + 1 });
    // a deterministic failure is final after one attempt and keeps its code, through the queue and in its status
    const ex = await queueExecutor({ url: parseQueueUrl(redis().url), run: join(dir, 'bad'), artifacts: dir });
    const bad = { model: 'no_such_model', act: 'relu', data: 'mnist', seed: 1, out: join(dir, 'bad', 'run'), recipe: { epochs: 1 } };
    await assert.rejects(ex.run('train-run', { train: bad }, { label: 'bad model' }), coded('MODEL_UNKNOWN', /^bad model: /));
    await ex.close();
    const badRun = (await queueStatus(parseQueueUrl(redis().url))).runs.find((r) => r.run === join(dir, 'bad'));
    assert.deepEqual(badRun?.failed, [{ label: 'bad model', code: 'MODEL_UNKNOWN', attempts: 1 }]);
    for (const w of [w0, w1, w2]) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all([w0, w1, w2].map(exited));
  });
});
