/**
 * Job kind `corrupt-shard`: corrupt rows [start, end) of an array dataset at one (corruption, severity) and
 * write them, raw uint8, to `out` (atomically). The worker loads the dataset itself (from its data spec, the
 * coordinator's split and --limit subset) and refuses to work when its rows are not the coordinator's
 * (their sha256 differs): a worker with other data would otherwise write silently wrong pixels. Deterministic
 * (per-image seeds, src/corrupt/array-job.ts) and idempotent: a rerun writes the same bytes.
 */
import { createHash } from 'node:crypto';
import { corruptArrayJob } from '../../corrupt/array-job.js';
import type { Preset } from '../../corrupt/index.js';
import type { ImageSet } from '../../data/dataset.js';
import { loadDataset } from '../../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../../data/split.js';
import { ActbenchError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';

export interface CorruptShardInput {
  /** the dataset as the coordinator named it (absolute paths), its split and --limit subset */
  data: string;
  split: 'test' | 'train';
  limit?: number;
  corruption: string;
  severity: number;
  /** rows of the (subset) split */
  start: number;
  end: number;
  seed: number;
  preset?: Preset;
  frostDir?: string;
  /** sha256 of the clean rows as the coordinator has them */
  rowsSha256: string;
  /** where the corrupted rows go (relative to --artifacts on a queue) */
  out: string;
}

export interface CorruptShardResult {
  file: string;
  bytes: number;
  sha256: string;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// a pool process serves many shards of one set: load it once
let cached: { key: string; set: ImageSet; indices?: number[] } | undefined;

/** The set (and the full-split index of each of its images) exactly as the coordinator chose it (src/cli/corrupt.ts). */
export function shardSet(data: string, split: 'test' | 'train', limit?: number): { set: ImageSet; indices?: number[] } {
  const key = JSON.stringify([data, split, limit]);
  if (cached?.key === key) return cached;
  const ds = loadDataset(data);
  const full = split === 'train' ? ds.train : ds.test;
  const sub = limit && limit < full.labels.length ? stratifiedSubset(full, limit, SPLIT_SEED) : null;
  cached = { key, set: sub ? sub.set : full, indices: sub?.indices };
  return cached;
}

export async function corruptShard(input: CorruptShardInput, log: (l: string) => void): Promise<CorruptShardResult> {
  const { set, indices } = shardSet(input.data, input.split, input.limit);
  const { height, width, channels } = set;
  const px = height * width * channels;
  if (!(Number.isInteger(input.start) && Number.isInteger(input.end) && input.start >= 0 && input.start < input.end && input.end <= set.labels.length)) {
    throw new ActbenchError('JOB_BAD_INPUT', `rows ${input.start}…${input.end} are not inside the ${set.labels.length} images of ${input.data}`, { field: 'start' });
  }
  const images = set.images.slice(input.start * px, input.end * px);
  if (sha256(images) !== input.rowsSha256) {
    throw new ActbenchError('JOB_DATA_MISMATCH', `rows ${input.start}…${input.end} of ${input.data} (${input.split}${input.limit ? `, --limit ${input.limit}` : ''}) on this worker are not the coordinator's images: give every worker the same dataset files`, { field: 'data' });
  }
  const out = corruptArrayJob({
    kind: 'array', images, height, width, channels, corruption: input.corruption, severity: input.severity, start: input.start, seed: input.seed, preset: input.preset, frostDir: input.frostDir,
    ...(indices ? { indices: indices.slice(input.start, input.end) } : {}),
  });
  writeFileAtomic(input.out, out);
  log(`${input.corruption}/${input.severity} rows ${input.start}…${input.end}: ${out.length} bytes`);
  return { file: input.out, bytes: out.length, sha256: sha256(out) };
}
