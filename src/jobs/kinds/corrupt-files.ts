/**
 * Job kind `corrupt-files`: corrupt a chunk of a `folder:` dataset's image files at one (corruption,
 * severity) into JPEGs, as the pipeline's threads do (src/corrupt/files-job.ts). The sources are read in
 * place (the same path on every worker); the worker refuses to work when one of them is not the
 * coordinator's (its sha256 differs). Deterministic and idempotent: a rerun writes the same bytes.
 */
import { readFileSync } from 'node:fs';
import { corruptFilesJob } from '../../corrupt/files-job.js';
import type { FileJob } from '../../corrupt/worker.js';
import { ActbenchError, fsError } from '../../errors.js';
import { sha256 } from './corrupt-shard.js';

/** the worker thread's file job (corrupt/worker.ts), with each source's hash so a worker can check it reads the same file */
export interface CorruptFilesInput extends Omit<FileJob, 'kind' | 'files'> {
  /** each source (absolute), its sha256 on the coordinator, where its JPEG goes, its index in the folder's listing (its seed) */
  files: { src: string; sha256: string; dst: string; index: number }[];
}

export interface CorruptFilesResult {
  files: number;
}

export async function corruptFiles(input: CorruptFilesInput, log: (l: string) => void): Promise<CorruptFilesResult> {
  for (const f of input.files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f.src);
    } catch (e) {
      throw fsError(e, f.src, 'read');
    }
    if (sha256(bytes) !== f.sha256) {
      throw new ActbenchError('JOB_DATA_MISMATCH', `${f.src} on this worker is not the coordinator's image (its sha256 differs): give every worker the same dataset folder`, { file: f.src, field: 'data' });
    }
  }
  const n = await corruptFilesJob({ kind: 'files', files: input.files.map(({ src, dst, index }) => ({ src, dst, index })), corruption: input.corruption, severity: input.severity, seed: input.seed, preset: input.preset, frostDir: input.frostDir, quality: input.quality });
  log(`${input.corruption}/${input.severity}: ${n} files`);
  return { files: n };
}
