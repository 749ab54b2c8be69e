/**
 * `actbench corrupt --queue`: the pipeline's array chunks become `corrupt-shard` jobs on the queue's
 * workers; each shard comes back as a file (through --artifacts, or through Redis without it — shards are
 * sized to fit its 16 MiB limit) and is written into the .npy exactly where the local threads would have
 * written it, so the files are byte-identical to a local run. Resuming, the manifest and the progress files
 * stay the pipeline's (src/corrupt/pipeline.ts); only where a chunk is corrupted changes.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArrayJob } from '../corrupt/worker.js';
import { absoluteDataSpec, isFolder } from '../data/spec.js';
import { ActbenchError, fsError } from '../errors.js';
import type { Executor } from '../jobs/executor.js';
import { sha256 } from '../jobs/kinds/corrupt-shard.js';
import { BLOB_LIMIT_BYTES } from '../jobs/queue/blobs.js';
import { queueExecutor } from '../jobs/queue/executor.js';
import { parseQueueUrl } from '../jobs/queue/url.js';

/** Images per shard at most: a job amortises its start and its dataset loading. */
export const SHARD_IMAGES = 2000;

/** Where the shards wait between the worker and the .npy (inside --out, removed at the end). */
export const shardDir = (out: string) => join(out, '.shards');

export interface ShardSource {
  data: string;
  split: 'test' | 'train';
  limit?: number;
}

/** The pipeline's `runChunk` on an executor: one chunk → one corrupt-shard job → its bytes, checked. */
export function shardRunner(executor: Executor, src: ShardSource, out: string): (job: ArrayJob) => Promise<Uint8Array> {
  const data = absoluteDataSpec(src.data);
  return async (job) => {
    const px = job.height * job.width * job.channels;
    const end = job.start + job.images.length / px;
    const file = join(shardDir(resolve(out)), `${job.corruption}.${job.severity}.${job.start}.u8`);
    const label = `corrupt ${job.corruption}/${job.severity} images ${job.start}…${end}`;
    const r = await executor.run('corrupt-shard', {
      data, split: src.split, ...(src.limit !== undefined ? { limit: src.limit } : {}), corruption: job.corruption, severity: job.severity, start: job.start, end, seed: job.seed,
      ...(job.preset ? { preset: job.preset } : {}), ...(job.frostDir ? { frostDir: resolve(job.frostDir) } : {}), rowsSha256: sha256(job.images), out: file,
    }, { label });
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
      rmSync(file, { force: true });
    } catch (e) {
      throw fsError(e, file, 'read the shard');
    }
    if (bytes.length !== job.images.length || sha256(bytes) !== r.sha256) {
      throw new ActbenchError('JOB_BAD_RESULT', `${label}: the shard ${file} has ${bytes.length} bytes (expected ${job.images.length}) or not the sha256 its worker reported: is --artifacts the same directory on every machine?`, { file });
    }
    return bytes;
  };
}

/** `--queue URL [--artifacts DIR]` of `actbench corrupt`: the pipeline options that send its chunks to the queue. */
export async function openCorruptJobs(o: { queue: string; artifacts?: string; src: ShardSource; out: string; log?: (line: string) => void }) {
  if (isFolder(o.src.data)) throw new ActbenchError('QUEUE_UNSUPPORTED', '--queue does not take folder: datasets yet (their images are files, not array rows): run that corruption without --queue', { field: '--queue' });
  const executor = await queueExecutor({ url: parseQueueUrl(o.queue), run: resolve(o.out), artifacts: o.artifacts, log: o.log });
  return {
    /** for a set of these images: shards of at most SHARD_IMAGES images, each within the Redis limit */
    options: (set: { height: number; width: number; channels: number }) => ({
      runChunk: shardRunner(executor, o.src, o.out),
      chunk: Math.max(1, Math.min(SHARD_IMAGES, Math.floor(BLOB_LIMIT_BYTES / (set.height * set.width * set.channels)))),
    }),
    close: async () => {
      await executor.close();
      rmSync(shardDir(o.out), { recursive: true, force: true });
    },
  };
}
