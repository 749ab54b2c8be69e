/**
 * A tiny study through two queue workers (issue 11): its trainings — the part the queue runs — give the
 * same weights and accuracies as the same jobs on the local executor, and its results hold each cell once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runStudy } from '../../src/api/study.js';
import { readManifest } from '../../src/api/train.js';
import { localExecutor } from '../../src/jobs/executor.js';
import { queueStatus } from '../../src/jobs/queue/status.js';
import { parseQueueUrl } from '../../src/jobs/queue/url.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, cli, exited } = queueTestbed('queue-study');

describe('study through the queue (2 workers)', () => {
  it('trains the same models as the local executor; every result cell once; SIGTERM lets a worker finish its job', async () => {
    const acts = ['relu', 'silu'];
    const study = runStudy({
      data: 'mnist', model: 'mlp', acts, seeds: [1], epochs: 1, limitTrain: 200, testImages: 20,
      out: join(dir, 'queued', 'report'), modelsDir: join(dir, 'queued', 'models'), queue: redis().url, artifacts: dir,
    });
    study.catch(() => {}); // awaited below; this only keeps an early rejection from being reported as unhandled
    // the workers start with the trainings already waiting, so each takes one at once: a SIGTERM at its first
    // job must be handled however early the job starts (a worker once took a job before its handler was in)
    const url = parseQueueUrl(redis().url);
    const waiting = async () => (await queueStatus(url)).runs.reduce((n, x) => n + x.counts.waiting, 0);
    for (let t = Date.now(); (await waiting()) < acts.length; await new Promise((r) => setTimeout(r, 100))) {
      assert.ok(Date.now() - t < 120_000, 'the study queued no trainings within 2 minutes');
    }
    const logs: string[][] = [[], []];
    // the default lock time: a worker stopping gracefully must not need a short one
    const workers = logs.map((log) => cli(['worker', '--queue', redis().url, '--concurrency', '1', '--artifacts', dir], log));
    const exits = workers.map(exited);
    // the first worker to start a job gets SIGTERM: it finishes that job, takes no other, and exits 0
    let stopped = -1;
    const watch = setInterval(() => {
      if (stopped >= 0) return;
      stopped = logs.findIndex((l) => l.some((x) => x.startsWith('start ')));
      if (stopped >= 0) workers[stopped].kill('SIGTERM');
    }, 50);
    const r = await study;
    const local = localExecutor(2);
    await Promise.all(acts.map((act) => local.run('train-run', {
      train: { model: 'mlp', act, data: 'mnist', seed: 1, out: join(dir, 'local', `${act}-s1`), limitTrain: 200, limitTest: 20, recipe: { epochs: 1, lr: 0.05, augment: 'none' } },
      export: { validationImages: 256 },
    }, { label: act })));
    for (const act of acts) {
      const q = readManifest(join(dir, 'queued', 'models', `${act}-s1`));
      const l = readManifest(join(dir, 'local', `${act}-s1`));
      assert.equal(q.weightsSha256, l.weightsSha256, act);
      assert.deepEqual(q.result, l.result, act);
    }
    const evals = readFileSync(join(dir, 'queued', 'report', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.kind === 'eval');
    const cells = evals.map((e) => `${e.activation} ${e.corruption} ${e.severity}`);
    assert.equal(new Set(cells).size, cells.length, 'a cell twice');
    assert.equal(cells.length, 2 * (1 + 19 * 5));
    assert.match(readFileSync(r.report, 'utf8'), /silu/);
    clearInterval(watch);
    assert.ok(stopped >= 0);
    assert.equal(await exits[stopped], 0, logs[stopped].join('\n'));
    const own = logs[stopped];
    assert.match(own[0] ?? '', /^worker on /, 'a job was taken before the worker was ready and had its SIGTERM handler');
    assert.equal(own.filter((x) => x.startsWith('start ')).length, 1, own.join('\n'));
    assert.equal(own.filter((x) => x.startsWith('done ')).length, 1, own.join('\n'));
    for (const w of workers) w.kill('SIGTERM');
    assert.equal(await exits[1 - stopped], 0);
  });
});
