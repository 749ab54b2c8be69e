/**
 * `actbench eval --queue` killed -9 mid-run and restarted (issue 11), two workers that keep running: the
 * restarted command gathers what the workers finished meanwhile; its records equal an uninterrupted local
 * eval's, each cell once, and the workers' logs show every job ran exactly once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { EvalRecord } from '../../src/results/store.js';
import { tinyModel } from '../runtime/tiny-onnx.js';
import { evaluateModelAsJobs } from '../../src/api/eval-jobs.js';
import type { Executor } from '../../src/jobs/executor.js';
import { jobKey } from '../../src/jobs/key.js';
import { evalCells, openEvalSource, type EvalCellsInput, type EvalSourceSpec } from '../../src/jobs/kinds/eval-cells.js';
import { ResultsStore } from '../../src/results/store.js';
import { executions, harness } from './restart.js';
import { alive } from './wait.js';
import { queueTestbed } from './testbed.js';

const bed = queueTestbed('queue-restart-eval');
const { dir, redis, cli, exited, worker } = bed;
const { killAndRestart } = harness(bed);
const model = join(dir, 'models', 'tiny.onnx');
before(() => {
  mkdirSync(join(dir, 'models'));
  writeFileSync(model, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight: (p, k) => Math.sin(p * 0.07 + k * 0.3) / 40 }));
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
    const coords = await killAndRestart(['eval', model, ...EVAL, '--results', join(dir, 'queued.jsonl'), '--queue', redis().url], logs, 1);
    const queued = outcome(join(dir, 'queued.jsonl'));
    assert.equal(queued.length, 13, 'every cell once');
    assert.deepEqual(queued, outcome(join(dir, 'local.jsonl')));
    const { starts, dones } = executions(logs);
    assert.equal(dones.size, 3, `3 jobs:\n${[...dones.keys()].join('\n')}\n${coords.flat().join('\n')}`);
    for (const [label, n] of [...starts, ...dones]) assert.equal(n, 1, `${label} ran once`);
    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });
  it('a store holding part of a job\'s cells (a kill between two appends): the same job keys are sent again, not new ones', async () => {
    const spec: EvalSourceSpec = { kind: 'on-the-fly', data: 'mnist', corruptions: ['gaussian_noise', 'fog'], severities: [1, 2, 3], seed: 0, batch: 40, limit: 40 };
    // an executor that runs the jobs in this process and records the keys of what it was sent
    const sent: string[][] = [[], []];
    const executor = (k: number): Executor => ({
      name: 'queue',
      run: async (kind, input) => {
        sent[k].push(jobKey(kind, input));
        return (await evalCells(input as EvalCellsInput, () => {})) as never;
      },
      close: async () => {},
    });
    const run = async (k: number, file: string) => {
      const source = openEvalSource(spec);
      try {
        return await evaluateModelAsJobs(executor(k), model, source, spec, { ep: 'cpu', optLevel: 'all', store: new ResultsStore(file) });
      } finally {
        await source.close();
      }
    };
    const full = join(dir, 'grid-full.jsonl');
    assert.equal((await run(0, full)).length, 7);
    // the first three records of the first job [0, 5) stored, the coordinator killed before the other two
    const part = join(dir, 'grid-part.jsonl');
    writeFileSync(part, readFileSync(full, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    await run(1, part);
    assert.equal(sent[0].length, 2, 'cells 1–5 and 6–7');
    assert.deepEqual(sent[1], sent[0], 'the restart sends the finished jobs\' keys (a queue answers them from Redis)');
    assert.deepEqual(outcome(part), outcome(full), 'each cell once, in order');
  });
});
