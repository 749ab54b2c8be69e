/**
 * Corrupt image files (a FileJob) into JPEGs: the one implementation behind the pipeline's worker threads
 * (./worker.ts) and the queue's corrupt-files jobs (src/jobs/kinds/corrupt-files.ts). Each image's RNG seed
 * derives from (seed, corruption, severity, its index in the folder's listing), so the bytes do not depend
 * on how the files were chunked or where a chunk ran.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../data/folder.js';
import { fsError } from '../errors.js';
import { corrupt, deriveSeed, NumpyRandomState } from './index.js';
import type { FileJob } from './worker.js';

/** Writes every `dst` (atomically); returns how many. `at` names the file being read (for error messages). */
export async function corruptFilesJob(job: FileJob, at: (file: string | undefined) => void = () => {}): Promise<number> {
  for (const f of job.files) {
    at(f.src);
    const d = decodeImage(f.src, 3);
    const rng = new NumpyRandomState(deriveSeed(job.seed, job.corruption, job.severity, f.index));
    const data = corrupt({ data: d.data, height: d.height, width: d.width, channels: 3 }, job.corruption, job.severity, { rng, preset: job.preset, frostDir: job.frostDir }).data;
    const jpg = await sharp(Buffer.from(data), { raw: { width: d.width, height: d.height, channels: 3 } }).jpeg({ quality: job.quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
    // atomically, so an interrupted run never leaves a half-written image that a rerun would skip
    const tmp = `${f.dst}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(f.dst), { recursive: true });
      writeFileSync(tmp, jpg);
      renameSync(tmp, f.dst);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw fsError(e, f.dst, 'write');
    }
  }
  return job.files.length;
}
