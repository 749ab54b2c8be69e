/**
 * `actbench eval --queue` against a real redis-server with two workers (issue 11): the records equal the
 * local eval's (but for the timing fields) with a worker killed -9 mid-job and the model through Redis,
 * the blob does not outlive the run, and a deterministic failure is final after one attempt, with its code.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActbenchError } from '../../src/errors.js';
import { openEvalSource, sourceIdentity } from '../../src/jobs/kinds/eval-cells.js';
import { queueExecutor } from '../../src/jobs/queue/executor.js';
import { queueStatus } from '../../src/jobs/queue/status.js';
import { parseQueueUrl } from '../../src/jobs/queue/url.js';
import type { EvalRecord } from '../../src/results/store.js';
import { tinyModel } from '../runtime/tiny-onnx.js';
import { alive, waitFor } from './wait.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, blobKeys, cli, exited, worker } = queueTestbed('queue-eval');
const model = join(dir, 'models', 'tiny.onnx');
before(() => {
  mkdirSync(join(dir, 'models'));
  writeFileSync(model, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight: (p, k) => Math.cos(p * 0.11 + k * 0.7) / 50 }));
});

/** What must not depend on where and when a cell ran. */
const outcome = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, provenance, ...r } = JSON.parse(l) as EvalRecord;
    // the machine line ends with the date it was taken
    return { ...r, provenance: { ...provenance, time: '', machine: provenance.machine.replace(/, [0-9T:.-]+Z$/, '') } };
  });

const EVAL = ['--data', 'mnist', '--limit', '60', '--corruptions', 'gaussian_noise,shot_noise,fog', '--severity', '1,3', '--ep', 'cpu', '--batch', '32'];

describe('eval through the queue (2 workers)', () => {
  it('eval: a worker killed -9 mid-job, the model through Redis: the records equal the local eval, no blob left', async () => {
    const logs: string[][] = [[], [], []];
    const ws = [worker(logs[0]), worker(logs[1])];
    const localLog: string[] = [];
    const local = cli(['eval', model, ...EVAL, '--results', join(dir, 'local.jsonl')], localLog);
    assert.equal(await exited(local), 0, localLog.join('\n'));
    const coordLog: string[] = [];
    const coord = cli(['eval', model, ...EVAL, '--results', join(dir, 'queued.jsonl'), '--queue', redis().url], coordLog);
    // kill -9 whichever worker starts a job first, while its job runs (a job process takes more than a second to start)
    let victim = -1;
    assert.ok(await waitFor(() => (victim = logs.findIndex((l) => l.some((x) => x.startsWith('start ')))) >= 0, 60_000), `a worker started a job: ${coordLog.join('\n')}`);
    const label = (logs[victim].find((x) => x.startsWith('start ')) as string).replace(/^start | \(attempt.*$/g, '');
    ws[victim].kill('SIGKILL');
    ws.push(worker(logs[2]));
    assert.equal(await exited(coord), 0, coordLog.join('\n'));
    const queued = outcome(join(dir, 'queued.jsonl'));
    assert.equal(queued.length, 7, 'clean + 3 corruptions × 2 severities, once each');
    assert.deepEqual(queued, outcome(join(dir, 'local.jsonl')));
    assert.ok(queued.some((r) => r.corruption === 'fog' && r.top1 > 0), 'real accuracies');
    assert.ok(!logs[victim].some((l) => l.startsWith(`done ${label}`)), 'the victim did not finish its job');
    assert.ok(logs.some((l, k) => k !== victim && l.includes(`done ${label}`)), `${label} done by another worker:\n${logs.map((l) => l.join('\n')).join('\n--\n')}`);
    assert.deepEqual(await blobKeys(), [], 'the model blob is deleted after the run');
    // a rerun finds every cell stored: nothing is sent
    const again: string[] = [];
    assert.equal(await exited(cli(['eval', model, ...EVAL, '--results', join(dir, 'queued.jsonl'), '--queue', redis().url], again)), 0, again.join('\n'));
    assert.equal(outcome(join(dir, 'queued.jsonl')).length, 7);
    // a deterministic failure on a worker (no such model there) is final after one attempt, with its code
    const ex = await queueExecutor({ url: parseQueueUrl(redis().url), run: join(dir, 'bad'), artifacts: dir });
    const spec = { kind: 'on-the-fly' as const, data: 'mnist', corruptions: [], severities: [], seed: 0, batch: 32, limit: 60 };
    const source = openEvalSource(spec);
    try {
      await assert.rejects(ex.run('eval-cells', { model: join(dir, 'models', 'missing.onnx'), source: spec, from: 0, to: 1, identity: sourceIdentity(source.key), ep: 'cpu', optLevel: 'all' }, { label: 'bad model' }), (e: unknown) => {
        assert.ok(e instanceof ActbenchError, String(e));
        assert.equal(e.code, 'EVAL_MODEL_MISSING', e.message);
        assert.match(e.message, /^bad model: [^]*missing\.onnx not found/);
        return true;
      });
    } finally {
      await ex.close();
      await source.close();
    }
    const bad = (await queueStatus(parseQueueUrl(redis().url))).runs.find((r) => r.run === join(dir, 'bad'));
    assert.deepEqual(bad?.failed, [{ label: 'bad model', code: 'EVAL_MODEL_MISSING', attempts: 1 }]);

    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });
});
