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
  // one generator reseeded per image (seed() resets every bit of state: the same draws as a fresh one)
  const rng = new NumpyRandomState();
  const rngFor = (k: number) => (rng.seed(deriveSeed(job.seed, job.corruption, job.severity, job.indices ? job.indices[k] : job.start + k)), rng);
  return corruptMany(job.images, shape, job.corruption, job.severity, rngFor, { preset: job.preset, frostDir: job.frostDir });
}
