/**
 * The local executor's pool: up to `width` long-lived Node processes on the fixed job entry (./entry.ts,
 * started with --pool), each running one job at a time and reused for the next, so a job pays no process
 * start and no module loading once its process is warm. A process that dies mid-job fails that job with
 * JOB_DIED and is replaced on demand. Idle processes do not keep this process alive (their handles are
 * unref'd), and they die with it like every job child (./runner.ts, ./serve.ts).
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { ActbenchError } from '../errors.js';
import { fromFailure, POOL_FLAG, type ChildMessage, type ParentMessage } from './protocol.js';
import { forkJobChild } from './runner.js';

interface Running {
  label: string;
  log?: (line: string) => void;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
  stderr: string[];
}

interface Member {
  proc: ChildProcess;
  job?: Running;
}

const lines = (d: Buffer, sink: (l: string) => void) => d.toString().split('\n').filter((l) => l.trim()).forEach(sink);

/** ref() or unref() every handle of a child: a busy one keeps this process alive, an idle one does not. */
function hold(p: ChildProcess, on: boolean): void {
  for (const h of [p, p.channel, p.stdout as unknown as Socket | null, p.stderr as unknown as Socket | null]) {
    if (h && typeof h.ref === 'function') (on ? h.ref() : h.unref());
  }
}

export class ProcessPool<Request> {
  private readonly members = new Set<Member>();
  private readonly idle: Member[] = [];
  private readonly waiting: { give: (m: Member) => void; fail: (e: unknown) => void }[] = [];
  private closed = false;

  constructor(private readonly entry: URL, private readonly width: number) {}

  /** Pids of the pool's processes now (tests, diagnostics). */
  pids(): number[] {
    return [...this.members].map((m) => m.proc.pid).filter((p): p is number => typeof p === 'number');
  }

  run<Result>(request: Request, o: { label: string; log?: (line: string) => void }): Promise<Result> {
    return this.acquire(o.label).then(
      (m) =>
        new Promise<Result>((resolve, reject) => {
          m.job = { label: o.label, log: o.log, resolve: resolve as (r: unknown) => void, reject, stderr: [] };
          hold(m.proc, true);
          const msg: ParentMessage<Request> = { type: 'run', request };
          m.proc.send(msg);
        }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.fail(new ActbenchError('POOL_CLOSED', 'the job pool was closed with jobs waiting'));
    const exits = [...this.members].map((m) => new Promise<void>((r) => (m.proc.exitCode !== null || m.proc.signalCode !== null ? r() : m.proc.once('exit', () => r()))));
    // closing the channel ends a pool process (./serve.ts: 'disconnect'); a busy one gets SIGTERM
    for (const m of this.members) {
      hold(m.proc, true); // so that this process waits for the exits
      if (m.job) m.proc.kill('SIGTERM');
      else if (m.proc.connected) m.proc.disconnect();
    }
    await Promise.all(exits);
  }

  private acquire(label: string): Promise<Member> {
    if (this.closed) return Promise.reject(new ActbenchError('POOL_CLOSED', `${label}: the job pool is closed`));
    const m = this.idle.pop();
    if (m) return Promise.resolve(m);
    if (this.members.size < this.width) {
      try {
        return Promise.resolve(this.spawn(label));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((give, fail) => this.waiting.push({ give, fail }));
  }

  private release(m: Member): void {
    const next = this.waiting.shift();
    if (next) return next.give(m);
    hold(m.proc, false);
    this.idle.push(m);
  }

  private spawn(label: string): Member {
    const proc = forkJobChild(this.entry, { label, args: [POOL_FLAG] });
    const m: Member = { proc };
    this.members.add(m);
    proc.stdout?.on('data', (d: Buffer) => lines(d, (l) => m.job?.log?.(l)));
    proc.stderr?.on('data', (d: Buffer) =>
      lines(d, (l) => {
        const s = m.job?.stderr;
        if (!s) return;
        s.push(l);
        if (s.length > 20) s.shift();
      }),
    );
    proc.on('message', (msg: ChildMessage<unknown>) => {
      const job = m.job;
      if (!job) return;
      if (msg.type === 'log') return job.log?.(msg.line);
      m.job = undefined;
      if (msg.type === 'done') job.resolve(msg.result);
      else job.reject(fromFailure(msg.error, job.label));
      this.release(m);
    });
    proc.on('error', () => {
      // reported by 'exit' (a pool process that cannot be reached is of no use)
    });
    proc.once('exit', (code, signal) => {
      this.members.delete(m);
      const at = this.idle.indexOf(m);
      if (at >= 0) this.idle.splice(at, 1);
      const job = m.job;
      m.job = undefined;
      if (job) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        const tail = job.stderr.slice(-3).join(' | ');
        job.reject(new ActbenchError('JOB_DIED', `${job.label}: the pool's job process (pid ${proc.pid}) ${how} before answering${tail ? `: ${tail}` : ''}`));
      }
      // a waiting job gets a fresh process in place of the dead one
      const next = !this.closed && this.waiting.length ? this.waiting.shift() : undefined;
      if (next) {
        try {
          next.give(this.spawn(label));
        } catch (e) {
          next.fail(e);
        }
      }
    });
    return m;
  }
}
