/**
 * A real redis-server for one test file: started on a free loopback port, without persistence, optionally
 * with a password, and stopped after the file's tests (Debian's redis-server, installed by .ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface TestRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A port the kernel just handed out on 127.0.0.1 (closed again, so redis-server can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startRedis(o: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(o.password ? ['--requirepass', o.password] : [])];
  const proc: ChildProcess = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
  const t0 = Date.now();
  while (!(await accepting(port))) {
    if (proc.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `redis://${o.password ? `:${encodeURIComponent(o.password)}@` : ''}127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}
