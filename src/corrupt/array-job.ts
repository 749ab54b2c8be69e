/**
 * Corrupt one chunk of array images (an ArrayJob): the one implementation behind the pipeline's worker
 * threads (./worker.ts) and the queue's corrupt-shard jobs (src/jobs/kinds/corrupt-shard.ts). Each image's
 * RNG seed derives from (seed, corruption, severity, its index in the full split), so the bytes do not
 * depend on how the set was chunked or where a chunk ran.
 */
import { corruptMany, deriveSeed, NumpyRandomState } from './index.js';
import type { ArrayJob } from './worker.js';

export function corruptArrayJob(job: ArrayJob): Uint8Array {
  const shape = { height: job.height, width: job.width, channels: job.channels };
  return corruptMany(job.images, shape, job.corruption, job.severity, (k) => new NumpyRandomState(deriveSeed(job.seed, job.corruption, job.severity, job.indices ? job.indices[k] : job.start + k)), { preset: job.preset, frostDir: job.frostDir });
}
