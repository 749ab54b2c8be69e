/** Run the actbench CLI itself in a child process (from source under tsx, or the built dist). */
import { spawn } from 'node:child_process';

export function runCli(args: string[], log: (l: string) => void = () => {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log(`  ${l}`)));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`actbench ${args.slice(0, 2).join(' ')} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`)),
    );
  });
}

/** Map over items with at most `width` running at once. */
export async function inParallel<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.max(1, width) }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
  }));
}
