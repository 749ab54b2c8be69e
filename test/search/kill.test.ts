/** Killing `actbench search` stops its training children and their writing (issue 9), SIGTERM → exit 143, SIGKILL included. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { alive, waitFor } from '../jobs/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-search-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Child processes of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && /train-job|jobs\/entry/.test(readFileSync(`/proc/${e}/cmdline`, 'utf8'))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sizes and mtimes of every file under a directory. */
function snapshot(root: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else lines.push(`${p} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  if (existsSync(root)) walk(root);
  return lines.sort().join('\n');
}

describe('search killed', { skip: process.platform !== 'linux' ? 'reads /proc' : false }, () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal}: no training child survives, nothing more is written`, async () => {
      const out = join(dir, signal);
      const search = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/bin.ts', 'search', '--data', 'mnist', '--population', '2', '--sample', '2', '--budget', '2', '--epochs', '20', '--limit-train', '2000', '--limit-test', '100', '--workers', '1', '--out', out],
        { stdio: 'ignore' },
      );
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => search.on('exit', (code, sig) => r({ code, signal: sig })));
      let kids: number[] = [];
      assert.ok(await waitFor(() => (kids = childrenOf(search.pid as number)).length > 0, 120_000), 'a training child started');
      await new Promise((r) => setTimeout(r, 1500));
      search.kill(signal);
      const status = await exited;
      if (signal === 'SIGTERM') assert.equal(status.code, 143);
      else assert.equal(status.signal, 'SIGKILL');
      assert.ok(await waitFor(() => !kids.some(alive), 8000), `training child ${kids.filter(alive).join(', ')} survived ${signal} of its parent`);
      const before = snapshot(out);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(snapshot(out), before, 'nothing written after the search was killed');
      assert.equal(existsSync(join(out, '.actbench.lock')) && signal === 'SIGTERM', false, 'SIGTERM released the lock');
    });
  }
});
