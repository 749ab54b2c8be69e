/**
 * `actbench corrupt --data folder:DIR --queue` against a real redis-server (issue 11): chunks of the
 * folder's files go to a worker as corrupt-files jobs; the JPEGs (and the manifest) are byte-identical to a
 * local run's, through --artifacts and through Redis, no blob is left, and a worker whose source image
 * differs refuses with JOB_DATA_MISMATCH.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { ActbenchError } from '../../src/errors.js';
import { queueExecutor } from '../../src/jobs/queue/executor.js';
import { parseQueueUrl } from '../../src/jobs/queue/url.js';
import { sha256 } from '../../src/jobs/kinds/corrupt-shard.js';
import { rng } from '../helpers.js';
import { alive } from './wait.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, blobKeys, cli, exited } = queueTestbed('queue-corrupt-folder');
const data = join(dir, 'data');
before(() => {
  ['cat', 'dog', 'eel'].forEach((c, ci) => {
    mkdirSync(join(data, c), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const r = rng(ci * 10 + k);
      const px = Buffer.alloc(32 * 32 * 4);
      for (let i = 0; i < px.length; i++) px[i] = i % 4 === 3 ? 255 : Math.floor(r() * 256);
      writeFileSync(join(data, c, `${c}${k}.jpg`), jpeg.encode({ data: px, width: 32, height: 32 }, 90).data);
    }
  });
});


/** Every file under root (relative paths, sorted). */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe('corrupt --data folder: through the queue', () => {
  it('locally, through --artifacts and through Redis: the same bytes; another source image is refused', async () => {
    const wlog: string[] = [];
    const w = cli(['worker', '--queue', redis().url, '--concurrency', '2', '--artifacts', dir, '--lock-ms', '1500'], wlog);
    const CORRUPT = ['corrupt', '--data', `folder:${data}`, '--corruptions', 'gaussian_noise,contrast', '--severity', '1,4', '--seed', '5'];
    const runs: Record<string, string[]> = { local: [], shared: ['--queue', redis().url, '--artifacts', dir], redis: ['--queue', redis().url] };
    for (const [name, extra] of Object.entries(runs)) {
      const l: string[] = [];
      assert.equal(await exited(cli([...CORRUPT, '--out', join(dir, `c-${name}`), ...extra], l)), 0, `${name}: ${l.join('\n')}\n${wlog.join('\n')}`);
    }
    const files = tree(join(dir, 'c-local'));
    assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 2 * 2 * 9, `every image in every cell: ${files.join(' ')}`);
    for (const name of ['shared', 'redis']) {
      assert.deepEqual(tree(join(dir, `c-${name}`)), files, name);
      for (const f of files) assert.ok(readFileSync(join(dir, `c-${name}`, f)).equals(readFileSync(join(dir, 'c-local', f))), `${name}/${f} is byte-identical`);
    }
    assert.ok(!readFileSync(join(dir, 'c-local', 'gaussian_noise', '1', 'cat', 'cat0.jpg')).equals(readFileSync(join(data, 'cat', 'cat0.jpg'))), 'corrupted, not copied');
    assert.equal(wlog.filter((l) => l.startsWith('done ')).length, 8, `4 chunks per queued run:\n${wlog.join('\n')}`);
    assert.deepEqual(await blobKeys(), [], 'the JPEG blobs are deleted once written');
    // a worker that sees another image at the source's path refuses the job
    const src = join(data, 'dog', 'dog1.jpg');
    const ex = await queueExecutor({ url: parseQueueUrl(redis().url), run: join(dir, 'mismatch'), artifacts: dir });
    try {
      const input = { corruption: 'fog', severity: 1, seed: 0, quality: 85, files: [{ src, sha256: sha256(Buffer.from('not this image')), dst: join(dir, 'mismatch', 'x.jpg'), index: 4 }] };
      await assert.rejects(ex.run('corrupt-files', input, { label: 'other image' }), (e: unknown) => {
        assert.ok(e instanceof ActbenchError, String(e));
        assert.equal(e.code, 'JOB_DATA_MISMATCH', e.message);
        assert.match(e.message, /dog1\.jpg/);
        return true;
      });
    } finally {
      await ex.close();
    }
    if (alive(w.pid as number)) w.kill('SIGTERM');
    await exited(w);
  });
});
