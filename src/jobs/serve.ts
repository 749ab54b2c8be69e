/**
 * The child side of a job: wait for the one request, run the handler, answer, exit. A child never outlives
 * its parent: when the IPC channel closes (the parent exited, was killed, even with SIGKILL) it exits at
 * once, running its clean-ups (locks, partial files) through the 'exit' hooks; SIGINT and SIGTERM go
 * through src/util/signals.ts like any actbench process.
 *
 * Signals and 'disconnect' are handled on the event loop, which a long synchronous kernel can hold for
 * minutes; so a watchdog thread, independent of that loop, also watches the parent: once it is gone the
 * watchdog sends SIGTERM to its own process and, if that is not handled within a grace period, SIGKILL.
 */
import { Worker } from 'node:worker_threads';
import { onExit } from '../util/signals.js';
import { toFailure, type ChildMessage, type ParentMessage } from './protocol.js';

/** Exit status of a child whose parent went away (as if it got SIGHUP). */
export const ORPHAN_EXIT = 129;

/** How long an orphaned child gets to run its clean-ups before the watchdog kills it. */
export const ORPHAN_GRACE_MS = 2000;

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const timer = setInterval(() => {
  if (process.ppid === workerData.ppid) return;
  clearInterval(timer);
  try { process.kill(process.pid, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(process.pid, 'SIGKILL'); } catch {} }, workerData.graceMs);
}, 200);
`;

function startWatchdog(): void {
  const w = new Worker(WATCHDOG, { eval: true, workerData: { ppid: process.ppid, graceMs: ORPHAN_GRACE_MS } });
  w.unref();
}

/**
 * Serve one request and exit (the default), or — `many`, a process of the local pool (./pool.ts) — every
 * request the parent sends, one at a time, staying alive between them (the parent closes the channel).
 */
export function serveJob<Request, Result>(handler: (request: Request, log: (line: string) => void) => Promise<Result>, o: { many?: boolean } = {}): void {
  if (!process.send) throw new Error('a job entry must be started by the job runner (src/jobs/runner.ts), with an IPC channel');
  onExit(() => {}); // installs the SIGINT/SIGTERM handlers, so clean-ups run on a signal from the runner
  process.on('disconnect', () => process.exit(ORPHAN_EXIT));
  startWatchdog();
  const send = (m: ChildMessage<Result>): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected) process.exit(ORPHAN_EXIT);
      process.send?.(m, undefined, {}, () => resolve());
    });
  const serve = async (m: ParentMessage<Request>) => {
    let reply: ChildMessage<Result>;
    try {
      reply = { type: 'done', result: await handler(m.request, (line) => void send({ type: 'log', line })) };
    } catch (e) {
      reply = { type: 'failed', error: toFailure(e) };
    }
    await send(reply);
  };
  if (o.many) {
    // the pool sends the next request only after this one's answer: no two run at once
    process.on('message', (m: ParentMessage<Request>) => void serve(m));
    return;
  }
  process.once('message', (m: ParentMessage<Request>) => {
    void serve(m).then(() => process.exit(0));
  });
}
