/**
 * The messages between a job runner (parent) and a job child: the child gets one request, may send log
 * lines, and answers with a result or a failure. A failure carries an ActbenchError's code, file, field
 * and exit status across the process boundary, so a coded error raised in a child stays coded.
 */
import { ActbenchError } from '../errors.js';

/** The argument that makes a job child a long-lived process of the local pool (./pool.ts): it serves request after request. */
export const POOL_FLAG = '--pool';

export interface JobFailure {
  code: string;
  message: string;
  file?: string;
  field?: string;
  exit?: number;
}

export type ChildMessage<Result> = { type: 'log'; line: string } | { type: 'done'; result: Result } | { type: 'failed'; error: JobFailure };

export interface ParentMessage<Request> {
  type: 'run';
  request: Request;
}

/** Any thrown value → a failure that can cross IPC (a non-coded error becomes JOB_INTERNAL with its stack's first lines). */
export function toFailure(e: unknown): JobFailure {
  if (e instanceof ActbenchError) return { code: e.code, message: e.message, file: e.file, field: e.field, exit: e.exit };
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.code === 'string' && typeof err.path === 'string') {
    return { code: `FS_${err.code}`, message: err.message, file: err.path };
  }
  const stack = err?.stack?.split('\n').slice(0, 4).join('\n') ?? String(e);
  return { code: 'JOB_INTERNAL', message: `internal error in a child job (please report): ${stack}` };
}

/** The failure as the ActbenchError the parent rethrows, its message prefixed with what the job was. */
export function fromFailure(f: JobFailure, label: string): ActbenchError {
  return new ActbenchError(f.code, `${label}: ${f.message}`, { file: f.file, field: f.field, exit: f.exit });
}
