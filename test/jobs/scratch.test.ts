/** A queue worker's start removes the job scratch directories of workers that died (kill -9), and only those. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sweepScratch } from '../../src/jobs/queue/worker.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-scratch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('job scratch directories', () => {
  it("a dead worker's are removed with their files; a live one's, other names and older unnumbered ones stay", () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    assert.ok(deadPid > 0);
    const names = [`actbench-job-${deadPid}-aB3xYz`, `actbench-job-${deadPid}-q9w8e7`, `actbench-job-${process.pid}-live01`, 'actbench-job-Xy12ab', 'actbench-jobs-1-x', 'other'];
    for (const n of names) {
      mkdirSync(join(dir, n, 'models'), { recursive: true });
      writeFileSync(join(dir, n, 'models', 'm.onnx'), 'bytes');
    }
    assert.deepEqual(sweepScratch(dir).sort(), names.slice(0, 2).sort());
    assert.deepEqual(readdirSync(dir).sort(), names.slice(2).sort());
    assert.ok(existsSync(join(dir, names[2], 'models', 'm.onnx')));
    assert.deepEqual(sweepScratch(dir), [], 'nothing more the second time');
  });
});
