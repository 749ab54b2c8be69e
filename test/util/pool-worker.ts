/** A worker for pool.test.ts: each job kind fails (or not) in one way a real worker can. */
import { ActbenchError } from '../../src/errors.js';
import { serveJobs } from '../../src/util/pool.js';

export type TestJob =
  | { kind: 'echo'; value: number }
  | { kind: 'coded' }
  | { kind: 'plain'; file: string }
  | { kind: 'fs'; path: string }
  | { kind: 'exit' }
  | { kind: 'slow'; ms: number };

serveJobs<TestJob, number | Uint8Array>(async (job, at) => {
  switch (job.kind) {
    case 'echo':
      return Uint8Array.from([job.value]);
    case 'coded':
      throw new ActbenchError('TEST_CODED', 'a coded failure', { file: '/data/x.png', field: 'pixels', exit: 2 });
    case 'plain':
      at(job.file);
      throw new TypeError('cannot read properties of undefined');
    case 'fs': {
      const { readFileSync } = await import('node:fs');
      at(job.path);
      return readFileSync(job.path).length;
    }
    case 'exit':
      process.exit(7);
    // eslint-disable-next-line no-fallthrough
    case 'slow':
      await new Promise((r) => setTimeout(r, job.ms));
      return job.ms;
  }
});
