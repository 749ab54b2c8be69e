/** The local executor's pool (issue 11): long-lived job processes reused across jobs, replaced when one dies; a job kind on it. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ActbenchError } from '../../src/errors.js';
import { corruptArrayJob } from '../../src/corrupt/array-job.js';
import { localExecutor } from '../../src/jobs/executor.js';
import { jobKey } from '../../src/jobs/key.js';
import { sha256, shardSet } from '../../src/jobs/kinds/corrupt-shard.js';
import { ProcessPool } from '../../src/jobs/pool.js';
import type { TestJob } from './fixtures/test-job.js';
import { alive, waitFor } from './wait.js';

const ex = localExecutor(2);
const dir = mkdtempSync(join(tmpdir(), 'actbench-pool-'));
after(async () => {
  await ex.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local pool', () => {
  it('runs 6 jobs on at most 2 processes, each reused (a pid seen more than once), none of them this one', async () => {
    const pids = new Set<number>();
    const results = await Promise.all(Array.from({ length: 6 }, (_, k) => ex.run('echo', { value: { k } }, { label: `echo ${k}` })));
    assert.deepEqual(results, Array.from({ length: 6 }, (_, k) => ({ value: { k } })));
    for (const p of ex.pids?.() ?? []) pids.add(p);
    assert.equal(pids.size, 2);
    assert.ok(![...pids].includes(process.pid));
    // the same processes serve the next jobs
    await Promise.all([0, 1, 2].map((k) => ex.run('echo', { value: k }, { label: `again ${k}` })));
    assert.deepEqual(new Set(ex.pids?.()), pids);
  });
  it('a coded failure keeps its code and the process stays; a killed process fails its job with JOB_DIED and is replaced', async () => {
    const pool = new ProcessPool<TestJob>(new URL('./fixtures/test-job.ts', import.meta.url), 1);
    try {
      const r = await pool.run<{ echoed: unknown; pid: number }>({ mode: 'echo', value: 1 }, { label: 'first' });
      const again = await pool.run<{ echoed: unknown; pid: number }>({ mode: 'echo', value: 2 }, { label: 'second' });
      assert.equal(again.pid, r.pid, 'the second job ran in the first job’s process');
      await assert.rejects(pool.run({ mode: 'throw' }, { label: 'bad' }), (e: unknown) => e instanceof ActbenchError && e.code === 'TEST_CODE' && /^bad: /.test(e.message));
      assert.deepEqual(pool.pids(), [r.pid]);
      const hung = pool.run({ mode: 'hang', pidFile: join(dir, 'pids') }, { label: 'hung' });
      await new Promise((res) => setTimeout(res, 300));
      process.kill(r.pid, 'SIGKILL');
      await assert.rejects(hung, (e: unknown) => e instanceof ActbenchError && e.code === 'JOB_DIED');
      const fresh = await pool.run<{ echoed: unknown; pid: number }>({ mode: 'echo', value: 3 }, { label: 'third' });
      assert.notEqual(fresh.pid, r.pid);
      assert.equal(fresh.echoed, 3);
    } finally {
      const pids = pool.pids();
      await pool.close();
      assert.ok(await waitFor(() => !pids.some(alive), 5000), 'the pool’s processes end with close()');
    }
  });
});

describe('job kinds on the pool', () => {
  it('corrupt-shard: the same bytes as the pipeline’s own chunk corruption, the same key for the same input; other rows are JOB_DATA_MISMATCH', async () => {
    const { set, indices } = shardSet('mnist', 'test', 30);
    const px = set.height * set.width * set.channels;
    const images = set.images.slice(10 * px, 20 * px);
    const input = { data: 'mnist', split: 'test' as const, limit: 30, corruption: 'shot_noise', severity: 2, start: 10, end: 20, seed: 5, rowsSha256: sha256(images), out: join(dir, 'shard.u8') };
    const r = await ex.run('corrupt-shard', input, { label: 'shard' });
    const expected = corruptArrayJob({ kind: 'array', images, height: set.height, width: set.width, channels: set.channels, corruption: 'shot_noise', severity: 2, start: 10, seed: 5, indices: indices?.slice(10, 20) });
    assert.equal(r.bytes, 10 * px);
    assert.ok(readFileSync(input.out).equals(Buffer.from(expected)));
    assert.equal(r.sha256, sha256(expected));
    assert.notDeepEqual(expected, images, 'the rows were corrupted');
    assert.equal(jobKey('corrupt-shard', input), jobKey('corrupt-shard', { ...input }));
    await assert.rejects(ex.run('corrupt-shard', { ...input, rowsSha256: sha256(set.images.slice(0, 10 * px)) }, { label: 'other rows' }), (e: unknown) => e instanceof ActbenchError && e.code === 'JOB_DATA_MISMATCH');
  });
});
