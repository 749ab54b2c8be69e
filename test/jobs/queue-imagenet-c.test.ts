/**
 * `actbench eval --imagenet-c DIR --queue` against a real redis-server (issue 11): cell ranges of the tree
 * go to a worker, which reads the tree through --artifacts or at the coordinator's path (the model through
 * Redis); the records equal the local eval's, and a worker whose tree differs refuses with JOB_DATA_MISMATCH.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { ActbenchError } from '../../src/errors.js';
import { cellsIdentity, openEvalSource, specRoot, type EvalSourceSpec } from '../../src/jobs/kinds/eval-cells.js';
import { queueExecutor } from '../../src/jobs/queue/executor.js';
import { parseQueueUrl } from '../../src/jobs/queue/url.js';
import type { EvalRecord } from '../../src/results/store.js';
import { rng } from '../helpers.js';
import { tinyModel } from '../runtime/tiny-onnx.js';
import { alive } from './wait.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, cli, exited } = queueTestbed('queue-imagenet-c');
const H = 8;
const W = 8;
const CLASSES = ['n01443537', 'n01491361', 'n01494475'];
const PER_CLASS = 4;
const CELLS: [string, number][] = [['gaussian_noise', 1], ['gaussian_noise', 2], ['gaussian_noise', 3], ['fog', 1], ['fog', 2], ['fog', 3], ['contrast', 2]];
const tree = join(dir, 'imagenet-c');
const val = join(dir, 'val');
const model = join(dir, 'm.onnx');

function jpg(file: string, seed: number): void {
  const r = rng(seed);
  const data = Buffer.alloc(H * W * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.floor(r() * 256);
  writeFileSync(file, jpeg.encode({ data, width: W, height: H }, 90).data);
}
const file = (root: string, c: number, k: number) => join(root, CLASSES[c], `ILSVRC2012_val_${String(1 + c * PER_CLASS + k).padStart(8, '0')}.JPEG`);

before(() => {
  CELLS.forEach(([c, s], cell) => CLASSES.forEach((_, cl) => {
    for (let k = 0; k < PER_CLASS; k++) {
      mkdirSync(join(tree, c, String(s), CLASSES[cl]), { recursive: true });
      jpg(file(join(tree, c, String(s)), cl, k), 1000 * (cell + 1) + cl * PER_CLASS + k);
    }
  }));
  CLASSES.forEach((_, cl) => {
    mkdirSync(join(val, CLASSES[cl]), { recursive: true });
    for (let k = 0; k < PER_CLASS; k++) jpg(file(val, cl, k), cl * PER_CLASS + k);
  });
  writeFileSync(model, tinyModel({ c: 3, h: H, w: W, classes: 3, weight: (p, k) => Math.sin(p * 0.37 + k * 1.3) }));
});


const outcome = (f: string) =>
  readFileSync(f, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, provenance, ...r } = JSON.parse(l) as EvalRecord;
    return { ...r, provenance: { ...provenance, time: '', machine: provenance.machine.replace(/, [0-9T:.-]+Z$/, '') } };
  });

describe('eval --imagenet-c through the queue', () => {
  it('the records equal the local eval, through --artifacts and through Redis; another tree is refused', async () => {
    const wlog: string[] = [];
    const w = cli(['worker', '--queue', redis().url, '--concurrency', '2', '--artifacts', dir, '--lock-ms', '1500'], wlog);
    const EVAL = ['eval', model, '--imagenet-c', tree, '--data', `folder:${val}`, '--severity', '1-3', '--ep', 'cpu'];
    const runs: Record<string, string[]> = { local: [], shared: ['--queue', redis().url, '--artifacts', dir], redis: ['--queue', redis().url] };
    for (const [name, extra] of Object.entries(runs)) {
      const l: string[] = [];
      assert.equal(await exited(cli([...EVAL, '--results', join(dir, `${name}.jsonl`), ...extra], l)), 0, `${name}: ${l.join('\n')}\n${wlog.join('\n')}`);
    }
    const local = outcome(join(dir, 'local.jsonl'));
    assert.deepEqual(local.map((r) => `${r.corruption ?? 'clean'}/${r.severity ?? '-'}/${r.n}`), ['clean/-/12', 'gaussian_noise/1/12', 'gaussian_noise/2/12', 'gaussian_noise/3/12', 'fog/1/12', 'fog/2/12', 'fog/3/12', 'contrast/2/12']);
    assert.ok(new Set(local.map((r) => r.top1)).size > 1, 'real, differing accuracies');
    for (const name of ['shared', 'redis']) assert.deepEqual(outcome(join(dir, `${name}.jsonl`)), local, name);
    assert.equal(wlog.filter((l) => l.startsWith('done ')).length, 4, `2 jobs (cells 1–5, 6–8) per queued run:\n${wlog.join('\n')}`);

    // (cells 7–8: a job the runs above did not finish) the identity the coordinator sends, then one file of the worker's tree changes: the job is refused
    const spec: EvalSourceSpec = { kind: 'imagenet-c', dir: tree, data: `folder:${val}`, severities: [1, 2, 3], batch: 64 };
    const source = openEvalSource(spec);
    const identity = cellsIdentity(source, specRoot(spec), 6, 8);
    await source.close();
    appendFileSync(file(join(tree, 'fog', '3'), 1, 2), Buffer.from([0]));
    const ex = await queueExecutor({ url: parseQueueUrl(redis().url), run: join(dir, 'mismatch'), artifacts: dir });
    try {
      await assert.rejects(ex.run('eval-cells', { model, source: spec, from: 6, to: 8, identity, ep: 'cpu', optLevel: 'all' }, { label: 'other tree' }), (e: unknown) => {
        assert.ok(e instanceof ActbenchError, String(e));
        assert.equal(e.code, 'JOB_DATA_MISMATCH', e.message);
        return true;
      });
    } finally {
      await ex.close();
    }
    if (alive(w.pid as number)) w.kill('SIGTERM');
    await exited(w);
  });
});
