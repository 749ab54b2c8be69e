/** What the queue executor and the workers agree on: the queue's name, job ids, failure encoding, retry policy. */
import { ActbenchError } from '../../errors.js';
import type { JobKind } from '../kinds/index.js';
import type { JobContext } from '../kinds/index.js';
import { redact } from './url.js';

export const QUEUE_NAME = 'actbench';

/** A job's BullMQ id: its kind and content hash (BullMQ refuses ':' and all-digit custom ids). */
export const jobId = (kind: JobKind, key: string) => `${kind}.${key}`;

/** A queued job's data: the job, the run it belongs to (for `queue status`), and a label for messages. */
export interface QueuedJob {
  kind: JobKind;
  input: unknown;
  key: string;
  run: string;
  label: string;
  ctx?: JobContext;
  /** files through Redis (./blobs.ts): the blobs to place at relative paths before the job, the relative paths to send back after */
  transfer?: Transfer;
}

export interface Transfer {
  reads: Record<string, string>;
  writes: string[];
}

/** A job's return value when it had a transfer: its result and the blobs of the files it wrote (relative path → sha256). */
export interface TransferResult {
  result: unknown;
  written: Record<string, string>;
}

/** Attempts per job (a worker killed mid-job, a lost connection); backoff doubles from 2 s. */
export const ATTEMPTS = 4;
export const BACKOFF = { type: 'exponential', delay: 2000 } as const;
/** finished jobs stay in Redis for a week, so a restarted coordinator finds their results */
export const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * Failures that another attempt may not repeat (a worker or its child killed, a full disk, a directory
 * still locked by a stalled attempt); every other coded error is deterministic for the job's input.
 */
const TRANSIENT = new Set(['JOB_DIED', 'JOB_START_FAILED', 'JOB_INTERNAL', 'OUTPUT_LOCKED', 'FS_ENOSPC', 'FS_EMFILE', 'FS_EIO', 'FS_EAGAIN']);
export const isTransient = (code: string) => TRANSIENT.has(code);

interface WireFailure {
  code: string;
  message: string;
  file?: string;
  field?: string;
  exit?: number;
}

/** A failure as a job's failedReason: JSON, credentials masked. */
export function encodeFailure(e: unknown): string {
  const f: WireFailure = e instanceof ActbenchError
    ? { code: e.code, message: redact(e.message), file: e.file, field: e.field, exit: e.exit }
    : { code: 'JOB_INTERNAL', message: redact(e instanceof Error ? e.message : String(e)) };
  return JSON.stringify(f);
}

/** A failedReason back as the job's coded error (a reason not written by a worker: QUEUE_JOB_FAILED). */
export function decodeFailure(reason: string | undefined, label: string): ActbenchError {
  try {
    const f = JSON.parse(reason ?? '') as WireFailure;
    if (typeof f.code === 'string' && typeof f.message === 'string') {
      // the worker's message already names the job when its child's error came back through the runner
      const message = f.message.startsWith(`${label}: `) ? f.message : `${label}: ${f.message}`;
      return new ActbenchError(f.code, message, { file: f.file, field: f.field, exit: f.exit });
    }
  } catch {
    // not ours
  }
  return new ActbenchError('QUEUE_JOB_FAILED', `${label}: the job failed on the queue: ${redact(reason ?? 'no reason given')}`);
}

/** The code of a failedReason, for `queue status` */
export function failureCode(reason: string | undefined): string {
  try {
    const f = JSON.parse(reason ?? '') as WireFailure;
    if (typeof f.code === 'string') return f.code;
  } catch {
    // not ours
  }
  return 'QUEUE_JOB_FAILED';
}
