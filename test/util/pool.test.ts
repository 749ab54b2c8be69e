/** Worker errors keep their code and file across the thread boundary; a dead worker never hangs a job. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import type { ArrayJob, DecodeJob } from '../../src/corrupt/worker.js';
import { ActbenchError } from '../../src/errors.js';
import { WorkerPool } from '../../src/util/pool.js';
import type { TestJob } from './pool-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const corruptWorker = new URL('../../src/corrupt/worker.ts', import.meta.url);
const testWorker = new URL('./pool-worker.ts', import.meta.url);

function png(width: number, height: number, v = 90): Buffer {
  const p = new PNG({ width, height });
  p.data.fill(v);
  return PNG.sync.write(p);
}

async function rejectsWith(p: Promise<unknown>, code: string, check: (e: ActbenchError) => void = () => {}): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ActbenchError, `expected an ActbenchError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    check(e);
    return true;
  });
}

describe('the corruption worker (decode jobs, as eval and corrupt use them)', () => {
  const root = join(dir, 'folder', 'cat');
  mkdirSync(root, { recursive: true });
  const good = join(root, 'good.png');
  const truncated = join(root, 'truncated.png');
  const wide = join(root, 'wide.png');
  writeFileSync(good, png(8, 8));
  writeFileSync(truncated, png(8, 8).subarray(0, 40));
  writeFileSync(wide, png(9, 8));
  const pool = new WorkerPool<DecodeJob | ArrayJob, Uint8Array>(corruptWorker, 1);
  after(() => pool.close());

  it('decodes good files', async () => {
    const out = await pool.run({ kind: 'decode', files: [good, good], channels: 3 });
    assert.equal(out.length, 2 * 8 * 8 * 3);
    assert.equal(out[0], 90);
  });
  it('a truncated PNG gives IMAGE_BAD naming the file', async () => {
    await rejectsWith(pool.run({ kind: 'decode', files: [good, truncated], channels: 3 }), 'IMAGE_BAD', (e) => {
      assert.equal(e.file, truncated);
      assert.match(e.message, /truncated\.png: cannot decode/);
    });
  });
  it('a file of another size gives IMAGE_SIZE naming it', async () => {
    await rejectsWith(pool.run({ kind: 'decode', files: [good, wide], channels: 3 }), 'IMAGE_SIZE', (e) => {
      assert.equal(e.file, wide);
      assert.match(e.message, /9×8, expected 8×8/);
    });
  });
  it('a missing file and a directory give FS_ENOENT / FS_EISDIR naming the path', async () => {
    await rejectsWith(pool.run({ kind: 'decode', files: [join(root, 'nope.png')], channels: 3 }), 'FS_ENOENT', (e) => assert.equal(e.file, join(root, 'nope.png')));
    await rejectsWith(pool.run({ kind: 'decode', files: [root], channels: 3 }), 'FS_EISDIR', (e) => assert.equal(e.file, root));
  });
  it('a 2-channel array job gives a coded error, and the worker keeps serving', async () => {
    const images = new Uint8Array(2 * 4 * 4 * 2);
    const p = pool.run({ kind: 'array', images, height: 4, width: 4, channels: 2, corruption: 'contrast', severity: 1, start: 0, seed: 0 });
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ActbenchError, String(e));
      assert.equal(e.code, 'CORRUPT_BAD_IMAGE');
      assert.match(e.message, /channels must be 1 \(grey\) or 3 \(RGB\), got 2/);
      return true;
    });
    assert.equal((await pool.run({ kind: 'decode', files: [good], channels: 1 })).length, 64);
  });
});

describe('WorkerPool error transport', () => {
  it('an ActbenchError keeps code, message, file, field and exit status', async () => {
    const pool = new WorkerPool<TestJob, number | Uint8Array>(testWorker, 1);
    try {
      await rejectsWith(pool.run({ kind: 'coded' }), 'TEST_CODED', (e) => {
        assert.deepEqual([e.message, e.file, e.field, e.exit], ['a coded failure', '/data/x.png', 'pixels', 2]);
      });
      await rejectsWith(pool.run({ kind: 'plain', file: '/data/y.jpg' }), 'WORKER_FAILED', (e) => {
        assert.equal(e.file, '/data/y.jpg');
        assert.match(e.message, /on \/data\/y\.jpg: TypeError: cannot read properties of undefined/);
      });
      await rejectsWith(pool.run({ kind: 'fs', path: dir }), 'FS_EISDIR', (e) => assert.equal(e.file, dir));
      assert.deepEqual([...((await pool.run({ kind: 'echo', value: 5 })) as Uint8Array)], [5]);
    } finally {
      await pool.close();
    }
  });
  it('a worker that exits rejects its job; the others go on; with none left, queued jobs are rejected', async () => {
    const pool = new WorkerPool<TestJob, number | Uint8Array>(testWorker, 2);
    try {
      const dying = pool.run({ kind: 'exit' });
      const slow = pool.run({ kind: 'slow', ms: 300 });
      await rejectsWith(dying, 'WORKER_DIED', (e) => assert.match(e.message, /status 7/));
      assert.equal(await slow, 300);
      const last = pool.run({ kind: 'exit' });
      const queued = pool.run({ kind: 'echo', value: 1 });
      await rejectsWith(last, 'WORKER_DIED');
      await rejectsWith(queued, 'WORKER_DIED');
      await rejectsWith(pool.run({ kind: 'echo', value: 2 }), 'WORKER_DIED');
    } finally {
      await pool.close();
    }
  });
  it('close() rejects jobs still running or queued (POOL_CLOSED) instead of leaving them pending', async () => {
    const pool = new WorkerPool<TestJob, number | Uint8Array>(testWorker, 1);
    const running = pool.run({ kind: 'slow', ms: 5000 });
    const queued = pool.run({ kind: 'echo', value: 3 });
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    await rejectsWith(running, 'POOL_CLOSED');
    await rejectsWith(queued, 'POOL_CLOSED');
    await rejectsWith(pool.run({ kind: 'echo', value: 4 }), 'POOL_CLOSED');
  });
});
