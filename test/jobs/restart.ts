/**
 * The coordinator-restart harness (issue 11): CLI child processes, the job executions counted from the
 * workers' logs, and "kill -9 the coordinator mid-run, let a job finish while it is down, restart it".
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

export function harness(url: () => string, artifacts: string) {
  const procs: ChildProcess[] = [];
  const cli = (args: string[], log: string[]) => {
    const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
    procs.push(p);
    return p;
  };
  const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));
  const worker = (log: string[]) => cli(['worker', '--queue', url(), '--concurrency', '1', '--artifacts', artifacts, '--lock-ms', '1500'], log);
  const doneCount = (logs: string[][]) => logs.flat().filter((l) => l.startsWith('done ')).length;

  /**
   * Start the command, kill it -9 once the workers finished `killAfter` jobs, let them finish one more while
   * it is down, restart it and wait for it; returns the two coordinators' logs.
   */
  async function killAndRestart(args: string[], logs: string[][], killAfter: number): Promise<string[][]> {
    const first: string[] = [];
    const c1 = cli(args, first);
    assert.ok(await waitFor(() => doneCount(logs) >= killAfter, 60_000), `jobs finished before the kill: ${first.join('\n')}`);
    c1.kill('SIGKILL');
    await exited(c1);
    assert.ok(await waitFor(() => doneCount(logs) >= killAfter + 1, 60_000), 'a job finished while the coordinator was down');
    const second: string[] = [];
    assert.equal(await exited(cli(args, second)), 0, second.join('\n'));
    return [first, second];
  }

  /** Kill what is still running (after the file's tests). */
  const killAll = () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  return { cli, exited, worker, killAndRestart, killAll };
}

/** How many times each job label was started and finished, over every worker's log. */
export function executions(logs: string[][]): { starts: Map<string, number>; dones: Map<string, number> } {
  const starts = new Map<string, number>();
  const dones = new Map<string, number>();
  for (const line of logs.flat()) {
    const s = /^start (.*) \(attempt \d+\)$/.exec(line);
    if (s) starts.set(s[1], (starts.get(s[1]) ?? 0) + 1);
    const d = /^done (.*)$/.exec(line);
    if (d) dones.set(d[1], (dones.get(d[1]) ?? 0) + 1);
  }
  return { starts, dones };
}
