/** A fixed pool of worker threads running one module; jobs are queued and answered in any order. */
import { Worker } from 'node:worker_threads';

export class WorkerPool<Job, Result> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: Job; transfer: ArrayBuffer[]; resolve: (r: Result) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<Worker, { resolve: (r: Result) => void; reject: (e: Error) => void }>();

  constructor(entry: URL, size: number) {
    const boot = new URL('./worker-boot.mjs', import.meta.url);
    for (let k = 0; k < size; k++) {
      const w = new Worker(boot, { workerData: { entry: entry.href } });
      w.on('message', (r: { ok: true; result: Result } | { ok: false; error: string }) => {
        const p = this.pending.get(w);
        this.pending.delete(w);
        this.idle.push(w);
        if (p) (r.ok ? p.resolve(r.result) : p.reject(new Error(r.error)));
        this.pump();
      });
      w.on('error', (e) => {
        this.pending.get(w)?.reject(e);
        this.pending.delete(w);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(job: Job, transfer: ArrayBuffer[] = []): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const { job, transfer, resolve, reject } = this.queue.shift()!;
      this.pending.set(w, { resolve, reject });
      w.postMessage(job, transfer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
