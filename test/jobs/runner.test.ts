/** The job runner: typed results, coded errors across the process boundary, and children that die with their parent. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ActbenchError } from '../../src/errors.js';
import { inParallel, liveJobPids, runJob } from '../../src/jobs/runner.js';
import type { TestJob } from './fixtures/test-job.js';
import { alive, waitFor } from './wait.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const entry = new URL('./fixtures/test-job.ts', import.meta.url);
const job = (req: TestJob) => runJob<TestJob, { echoed: unknown; pid: number }>(entry, req, { label: `test ${req.mode}` });

describe('runJob', () => {
  it('returns the typed result of a job in another process, its log lines forwarded', async () => {
    const lines: string[] = [];
    const r = await runJob<TestJob, { echoed: unknown; pid: number }>(entry, { mode: 'echo', value: { a: [1, 2], b: 'x' } }, { label: 'echo', log: (l) => lines.push(l) });
    assert.deepEqual(r.echoed, { a: [1, 2], b: 'x' });
    assert.notEqual(r.pid, process.pid);
    assert.deepEqual(lines, ['echoing']);
    assert.deepEqual(liveJobPids(), []);
  });
  it("rejects with the child's ActbenchError: code, file, field and exit status kept", async () => {
    await assert.rejects(job({ mode: 'throw' }), (e: unknown) => {
      assert.ok(e instanceof ActbenchError);
      assert.equal(e.code, 'TEST_CODE');
      assert.equal(e.file, '/some/file');
      assert.equal(e.field, 'some.field');
      assert.equal(e.exit, 3);
      assert.match(e.message, /^test throw: a coded failure/);
      return true;
    });
  });
  it('rejects with JOB_DIED when the child ends without answering', async () => {
    await assert.rejects(job({ mode: 'crash' }), (e: unknown) => e instanceof ActbenchError && e.code === 'JOB_DIED' && /exited with status 7/.test(e.message));
  });
  it('inParallel runs every item even when one fails, and returns the failures in order', async () => {
    const seen: number[] = [];
    const failed = await inParallel([1, 2, 3, 4, 5], 2, async (k) => {
      seen.push(k);
      if (k % 2 === 0) throw new Error(`no ${k}`);
    });
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(failed.map((f) => [f.item, (f.error as Error).message]), [[2, 'no 2'], [4, 'no 4']]);
  });
});

describe('children die with their parent (issue 9)', () => {
  const cases = [['SIGTERM', 'hang'], ['SIGINT', 'hang'], ['SIGKILL', 'hang'], ['SIGTERM', 'busy'], ['SIGKILL', 'busy']] as const;
  for (const [signal, mode] of cases) {
    it(`${signal} to the parent stops every child job (${mode === 'busy' ? 'busy in synchronous code' : 'waiting'}) and its writing`, async () => {
      const pidFile = join(dir, `pids-${signal}-${mode}`);
      const tick = join(dir, `tick-${signal}-${mode}`);
      const parent = spawn(process.execPath, ['--import', 'tsx', 'test/jobs/fixtures/parent.ts', pidFile, tick, mode], { stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => parent.on('exit', (code, sig) => r({ code, signal: sig })));
      assert.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2, 30_000), 'both children started');
      const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
      assert.ok(pids.every(alive));
      parent.kill(signal);
      const status = await exited;
      if (signal === 'SIGTERM') assert.equal(status.code, 143);
      if (signal === 'SIGINT') assert.equal(status.code, 130);
      if (signal === 'SIGKILL') assert.equal(status.signal, 'SIGKILL');
      assert.ok(await waitFor(() => !pids.some(alive), 6000), `children ${pids.filter(alive).join(', ')} survived the parent's ${signal}`);
      const sizes = [1, 2].map((k) => (existsSync(`${tick}.${k}`) ? statSync(`${tick}.${k}`).size : 0));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual([1, 2].map((k) => (existsSync(`${tick}.${k}`) ? statSync(`${tick}.${k}`).size : 0)), sizes, 'nothing written after the children stopped');
    });
  }
});
