/**
 * The coordinator-restart harness (issue 11): CLI child processes, the job executions counted from the
 * workers' logs, and "kill -9 the coordinator mid-run, let a job finish while it is down, restart it".
 */
import assert from 'node:assert/strict';
import type { QueueTestbed } from './testbed.js';
import { waitFor } from './wait.js';

export function harness(bed: QueueTestbed) {
  const { cli, exited } = bed;
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

  return { killAndRestart };
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
