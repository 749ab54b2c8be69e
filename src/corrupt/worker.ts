/** Worker thread of the corruption pipeline: corrupts a chunk of images (or image files) it is sent. */
import { decodeImage } from '../data/folder.js';
import { ActbenchError } from '../errors.js';
import { serveJobs } from '../util/pool.js';
import { corruptArrayJob } from './array-job.js';
import { corruptFilesJob } from './files-job.js';
import type { Preset } from './index.js';

export interface ArrayJob {
  kind: 'array';
  images: Uint8Array;
  height: number;
  width: number;
  channels: number;
  corruption: string;
  severity: number;
  /** dataset index of the first image (seeds are derived from it) */
  start: number;
  /**
   * the index of each image in its full split, when the images are a subset: seeds derive from these, so an
   * image is corrupted the same whether its set was subset before corruption or after
   */
  indices?: number[];
  seed: number;
  preset?: Preset;
  frostDir?: string;
}

/** Decode image files (same size) for evaluation: returns their RGB bytes back to back. */
export interface DecodeJob {
  kind: 'decode';
  files: string[];
  channels: 1 | 3;
}

export interface FileJob {
  kind: 'files';
  files: { src: string; dst: string; index: number }[];
  corruption: string;
  severity: number;
  seed: number;
  preset?: Preset;
  frostDir?: string;
  /** JPEG quality of the outputs (ImageNet-C: 85) */
  quality: number;
}

async function handle(job: ArrayJob | FileJob | DecodeJob, at: (file: string | undefined) => void): Promise<Uint8Array | number> {
  if (job.kind === 'decode') {
    const imgs = job.files.map((f) => (at(f), decodeImage(f, job.channels)));
    const size = imgs[0].data.length;
    const bad = imgs.findIndex((m) => m.data.length !== size);
    if (bad >= 0) {
      throw new ActbenchError('IMAGE_SIZE', `${job.files[bad]}: ${imgs[bad].width}×${imgs[bad].height}, expected ${imgs[0].width}×${imgs[0].height} like ${job.files[0]}`, { file: job.files[bad] });
    }
    const out = new Uint8Array(size * imgs.length);
    imgs.forEach((m, k) => out.set(m.data, k * size));
    return out;
  }
  if (job.kind === 'array') return corruptArrayJob(job);
  return corruptFilesJob(job, at);
}

// errors reach the parent with their code and file (see util/pool.ts)
serveJobs(handle);
