/** Worker thread of the corruption pipeline: corrupts a chunk of images (or image files) it is sent. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../data/folder.js';
import { ActbenchError, fsError } from '../errors.js';
import { serveJobs } from '../util/pool.js';
import { corruptArrayJob } from './array-job.js';
import { corrupt, deriveSeed, NumpyRandomState, type Preset } from './index.js';

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

function corruptOne(img: { data: Uint8Array; height: number; width: number; channels: number }, job: ArrayJob | FileJob, index: number): Uint8Array {
  const rng = new NumpyRandomState(deriveSeed(job.seed, job.corruption, job.severity, index));
  return corrupt(img, job.corruption, job.severity, { rng, preset: job.preset, frostDir: job.frostDir }).data;
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
  for (const f of job.files) {
    at(f.src);
    const d = decodeImage(f.src, 3);
    const data = corruptOne({ data: d.data, height: d.height, width: d.width, channels: 3 }, job, f.index);
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

// errors reach the parent with their code and file (see util/pool.ts)
serveJobs(handle);
