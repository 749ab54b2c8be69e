/**
 * A fixed pool of worker threads running one module; jobs are queued and answered in any order.
 * Errors cross the thread boundary with their code: an ActbenchError thrown in a worker is rethrown as an
 * ActbenchError (code, message, file, field, exit) in the parent; any other error becomes WORKER_FAILED,
 * naming the file the worker was on when known. A worker that dies rejects its job (WORKER_DIED).
 */
import { parentPort, Worker } from 'node:worker_threads';
import { ActbenchError, fsError } from '../errors.js';

/** An error as it crosses postMessage (structured clone keeps no class, so it is sent as plain data). */
export interface WireError {
  code?: string;
  message: string;
  file?: string;
  field?: string;
  exit?: number;
  /** the original error's class name, for WORKER_FAILED messages */
  name: string;
}

type Reply<Result> = { ok: true; result: Result } | { ok: false; error: WireError };

/** Worker side: describe an error for the parent; `file` is what the worker was working on, if known. */
export function serializeError(e: unknown, file?: string): WireError {
  if (e instanceof ActbenchError) return { code: e.code, message: e.message, file: e.file ?? file, field: e.field, exit: e.exit, name: e.name };
  const errno = e as NodeJS.ErrnoException;
  // a raw fs error (EISDIR, EACCES …) names its path: make it the same coded error the main thread would
  if (errno && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    const path = errno.path ?? file;
    const c = fsError(e, path ?? 'a file', errno.syscall);
    return { code: c.code, message: c.message, file: path, name: c.name };
  }
  return { message: e instanceof Error ? e.message : String(e), file, name: e instanceof Error ? e.name : typeof e };
}

/** Parent side: the error a job rejects with. */
export function deserializeError(w: WireError): ActbenchError {
  if (w.code) return new ActbenchError(w.code, w.message, { file: w.file, field: w.field, exit: w.exit });
  return new ActbenchError('WORKER_FAILED', `a worker thread failed${w.file ? ` on ${w.file}` : ''}: ${w.name}: ${w.message}`, { file: w.file });
}

/**
 * Worker side: answer each job with `handle`'s result (a typed array's buffer is transferred, not
 * copied) or its error. `at(file)` tells the protocol which file the job is on, for errors without one.
 */
export function serveJobs<Job, Result>(handle: (job: Job, at: (file: string | undefined) => void) => Promise<Result> | Result): void {
  const port = parentPort;
  // imported on the main thread (for its types, or by a test): nothing to serve
  if (!port) return;
  port.on('message', (job: Job) => {
    let file: string | undefined;
    const at = (f: string | undefined) => {
      file = f;
    };
    Promise.resolve()
      .then(() => handle(job, at))
      .then(
        (result) => {
          // transfer a typed array's buffer only when the array owns all of it (never a Buffer pool's slab)
          const whole = ArrayBuffer.isView(result) && result.buffer instanceof ArrayBuffer && result.byteOffset === 0 && result.byteLength === result.buffer.byteLength;
          const transfer = whole ? [(result as ArrayBufferView).buffer as ArrayBuffer] : [];
          port.postMessage({ ok: true, result } satisfies Reply<Result>, transfer);
        },
        (e: unknown) => port.postMessage({ ok: false, error: serializeError(e, file) } satisfies Reply<Result>),
      )
      .catch((e: unknown) => port.postMessage({ ok: false, error: serializeError(e, file) } satisfies Reply<Result>));
  });
}

interface Pending<Result> {
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

export class WorkerPool<Job, Result> {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly queue: (Pending<Result> & { job: Job; transfer: ArrayBuffer[] })[] = [];
  private readonly pending = new Map<Worker, Pending<Result>>();
  private closed = false;

  constructor(entry: URL, size: number) {
    const boot = new URL('./worker-boot.mjs', import.meta.url);
    for (let k = 0; k < Math.max(1, size); k++) {
      const w = new Worker(boot, { workerData: { entry: entry.href } });
      w.on('message', (r: Reply<Result>) => {
        const p = this.pending.get(w);
        this.pending.delete(w);
        this.idle.push(w);
        if (p) (r.ok ? p.resolve(r.result) : p.reject(deserializeError(r.error)));
        this.pump();
      });
      // an uncaught error in the worker (then 'exit' follows): fail its job with the error's code if it has one
      w.on('error', (e) => this.lose(w, deserializeError(serializeError(e))));
      w.on('exit', (code) => this.lose(w, new ActbenchError('WORKER_DIED', `a worker thread exited (status ${code}) before finishing its job`)));
      this.workers.add(w);
      this.idle.push(w);
    }
  }

  /** A worker is gone: reject its job; once none is left, reject every queued job rather than hang. */
  private lose(w: Worker, e: ActbenchError): void {
    this.pending.get(w)?.reject(e);
    this.pending.delete(w);
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.workers.size === 0) for (const q of this.queue.splice(0)) q.reject(this.closed ? closedError() : e);
  }

  run(job: Job, transfer: ArrayBuffer[] = []): Promise<Result> {
    const p = new Promise<Result>((resolve, reject) => {
      if (this.closed || this.workers.size === 0) {
        reject(this.closed ? closedError() : new ActbenchError('WORKER_DIED', 'every worker thread of the pool has exited'));
        return;
      }
      this.queue.push({ job, transfer, resolve, reject });
      this.pump();
    });
    // a job fetched ahead and never awaited (the consumer stopped early) must not crash the process
    p.catch(() => {});
    return p;
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const { job, transfer, resolve, reject } = this.queue.shift() as Pending<Result> & { job: Job; transfer: ArrayBuffer[] };
      this.pending.set(w, { resolve, reject });
      try {
        w.postMessage(job, transfer);
      } catch (e) {
        // the job cannot be sent (not cloneable): fail it, keep the worker
        this.pending.delete(w);
        this.idle.push(w);
        reject(new ActbenchError('WORKER_FAILED', `cannot send a job to a worker thread: ${(e as Error).message}`));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(closedError());
    for (const p of this.pending.values()) p.reject(closedError());
    this.pending.clear();
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}

const closedError = () => new ActbenchError('POOL_CLOSED', 'the worker pool was closed before this job ran');
