/** The queue tests' CLI child processes: `actbench …` through tsx, stderr collected as lines, and whatever is left killed after the file. */
import { spawn, type ChildProcess } from 'node:child_process';

export function cliProcs() {
  const procs: ChildProcess[] = [];
  const cli = (args: string[], log: string[]) => {
    const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
    procs.push(p);
    return p;
  };
  const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));
  /** a worker with one job at a time and a short lock, so a killed one's job is recovered quickly */
  const worker = (url: string, artifacts: string, log: string[]) => cli(['worker', '--queue', url, '--concurrency', '1', '--artifacts', artifacts, '--lock-ms', '1500'], log);
  const killAll = () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  return { procs, cli, exited, worker, killAll };
}
