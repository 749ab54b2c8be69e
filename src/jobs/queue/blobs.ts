/**
 * Small files through Redis, for workers that share no directory with the coordinator (no --artifacts):
 * a model file going to an eval job, a corrupted shard coming back. Content-addressed (the key is the
 * file's sha256, checked again on arrival), with a TTL so that nothing outlives a crashed coordinator for
 * long; the coordinator deletes what it put and what it fetched once the jobs are done with them. Files
 * over BLOB_LIMIT_BYTES are refused with QUEUE_ARTIFACT_TOO_BIG: they need the shared directory.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { ActbenchError, fsError } from '../../errors.js';

/** The largest file that travels through Redis (16 MiB): a small ONNX model, a shard of a few thousand images. */
export const BLOB_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long a blob lives in Redis at most (a coordinator that died leaves nothing behind for longer). */
export const BLOB_TTL_SECONDS = 24 * 3600;

export const blobKey = (sha: string) => `actbench:blob:${sha}`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function tooBig(what: string, bytes: number): ActbenchError {
  return new ActbenchError('QUEUE_ARTIFACT_TOO_BIG', `${what} is ${mib(bytes)}: without --artifacts only files up to ${mib(BLOB_LIMIT_BYTES)} travel through Redis; give the coordinator and every worker --artifacts DIR, a directory they all see`, { file: what, field: '--artifacts' });
}

export class BlobStore {
  constructor(private readonly redis: Redis) {}

  /** Store bytes under their sha256 (refreshing the TTL when they are there already); returns the sha256. */
  async put(bytes: Uint8Array, what: string): Promise<string> {
    if (bytes.length > BLOB_LIMIT_BYTES) throw tooBig(what, bytes.length);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await this.redis.set(blobKey(sha), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', BLOB_TTL_SECONDS);
    return sha;
  }

  /** Store a file (its size checked before it is read). */
  async putFile(path: string): Promise<string> {
    let size: number;
    let bytes: Buffer;
    try {
      size = statSync(path).size;
      if (size > BLOB_LIMIT_BYTES) throw tooBig(path, size);
      bytes = readFileSync(path);
    } catch (e) {
      if (e instanceof ActbenchError) throw e;
      throw fsError(e, path, 'read');
    }
    return this.put(bytes, path);
  }

  /** The bytes of a blob, checked against their sha256: QUEUE_ARTIFACT_MISSING when gone (expired, deleted), or damaged. */
  async get(sha: string, what: string): Promise<Buffer> {
    const b = await this.redis.getBuffer(blobKey(sha));
    if (!b || createHash('sha256').update(b).digest('hex') !== sha) {
      throw new ActbenchError('QUEUE_ARTIFACT_MISSING', `${what} (blob ${sha.slice(0, 12)}…) is ${b ? 'damaged' : 'no longer'} in Redis (blobs live ${BLOB_TTL_SECONDS / 3600} h): run the coordinating command again`, { file: what });
    }
    return b;
  }

  async drop(shas: Iterable<string>): Promise<void> {
    const keys = [...shas].map(blobKey);
    if (keys.length) await this.redis.del(...keys);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
