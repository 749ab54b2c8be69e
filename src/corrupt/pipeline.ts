/**
 * `actbench corrupt`: a dataset → its corrupted copies in the official layouts, using every core.
 *
 * Array datasets (CIFAR, MNIST, .npy) → CIFAR-10-C style `<corruption>.npy` (uint8, severity-major stack
 * of the chosen severities) + `labels.npy`; image folders → ImageNet-C style
 * `<corruption>/<severity>/<class>/<file>` (JPEG quality 85, as the released sets). Resumable: a finished
 * .npy is skipped, an unfinished one continues from its `.progress.json` (chunks are written in place
 * into a `.partial` file that is renamed when complete); folder outputs are written one file at a time,
 * atomically, and existing ones are skipped. Every image's RNG seed comes from (seed, corruption,
 * severity, index), so chunking and the number of workers do not change a single pixel.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import type { ImageSet } from '../data/dataset.js';
import { listImageFolder } from '../data/folder.js';
import { encodeNpy, parseNpyHeader } from '../data/npy.js';
import { ActbenchError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { WorkerPool } from '../util/pool.js';
import { checkCorruptionName, checkSeverity, MIN_SIDE, presetForSize, type CorruptionName, type Preset } from './index.js';
import type { ArrayJob, FileJob } from './worker.js';

export interface CorruptRunOptions {
  corruptions: CorruptionName[];
  severities: number[];
  seed: number;
  out: string;
  workers?: number;
  preset?: Preset;
  frostDir?: string;
  /** images per job */
  chunk?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (line: string) => void;
}

export interface CorruptRunResult {
  out: string;
  written: string[];
  skipped: string[];
  images: number;
  seconds: number;
}

const workerUrl = () => new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

function checkOptions(o: CorruptRunOptions, h: number, w: number): Preset {
  o.corruptions.forEach(checkCorruptionName);
  o.severities.forEach(checkSeverity);
  if (new Set(o.severities).size !== o.severities.length) throw new ActbenchError('CORRUPT_BAD_SEVERITY', `severities repeat: ${o.severities.join(',')}`, { field: 'severity' });
  const preset = o.preset ?? presetForSize(h, w);
  if (Math.min(h, w) < MIN_SIDE[preset]) {
    throw new ActbenchError('CORRUPT_TOO_SMALL', `${w}×${h} images are too small for the '${preset}' preset (needs a side ≥ ${MIN_SIDE[preset]})`, { field: 'preset' });
  }
  return preset;
}

function manifest(o: CorruptRunOptions, source: string, preset: Preset | 'by image size', layout: string, extra: Record<string, unknown>): string {
  return JSON.stringify(
    {
      source, layout, preset, corruptions: o.corruptions, severities: o.severities, seed: o.seed,
      frost: o.frostDir ? `original textures from ${o.frostDir}` : 'procedural textures (actbench)',
      seeding: 'NumpyRandomState(deriveSeed(seed, corruption, severity, image index)) per image',
      generator: 'actbench (hendrycks/robustness algorithms and severity tables)',
      ...extra,
    },
    null,
    2,
  );
}

/** A complete .npy at `file` with the expected shape? */
function npyComplete(file: string, shape: number[]): boolean {
  if (!existsSync(file)) return false;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    const h = parseNpyHeader(head, file, size);
    return h.dtype === 'uint8' && h.shape.join() === shape.join();
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

export async function corruptArraySet(set: ImageSet, o: CorruptRunOptions, source: string): Promise<CorruptRunResult> {
  const { height: H, width: W, channels: C } = set;
  const preset = checkOptions(o, H, W);
  const px = H * W * C;
  const n = set.labels.length;
  const chunk = o.chunk ?? 128;
  const t0 = performance.now();
  const result: CorruptRunResult = { out: o.out, written: [], skipped: [], images: 0, seconds: 0 };
  const labelsFile = join(o.out, 'labels.npy');
  const reps = o.severities.length;
  const labels = new Uint8Array(n * reps);
  const maxLabel = Math.max(...set.labels);
  for (let s = 0; s < reps; s++) for (let i = 0; i < n; i++) labels[s * n + i] = set.labels[i];
  if (maxLabel > 255) throw new ActbenchError('CORRUPT_LABELS', `labels up to ${maxLabel} do not fit the uint8 labels.npy of the CIFAR-C layout`, { field: 'labels' });
  writeFileAtomic(join(o.out, 'manifest.json'), manifest(o, source, preset, 'cifar-c', { images: n, shape: [H, W, C] }));
  if (!npyComplete(labelsFile, [n * reps])) writeFileAtomic(labelsFile, encodeNpy(labels, [n * reps], 'uint8'));

  const pool = new WorkerPool<ArrayJob, Uint8Array>(workerUrl(), Math.max(1, o.workers ?? cpus().length));
  const totalChunks = o.corruptions.length * reps * Math.ceil(n / chunk);
  let doneChunks = 0;
  try {
    for (const corruption of o.corruptions) {
      const shape = [n * reps, H, W, ...(C === 1 ? [] : [C])];
      const file = join(o.out, `${corruption}.npy`);
      if (npyComplete(file, shape)) {
        result.skipped.push(file);
        doneChunks += reps * Math.ceil(n / chunk);
        o.onProgress?.(doneChunks, totalChunks, corruption);
        continue;
      }
      const partial = `${file}.partial`;
      const progressFile = `${file}.progress.json`;
      const header = encodeNpy(new Uint8Array(0), shape, 'uint8');
      let done = new Set<string>();
      if (existsSync(partial) && existsSync(progressFile)) {
        const p = JSON.parse(readFileSync(progressFile, 'utf8')) as { shape: number[]; seed: number; done: string[] };
        if (p.shape.join() === shape.join() && p.seed === o.seed) done = new Set(p.done);
      }
      if (done.size === 0) {
        writeFileAtomic(partial, header);
        rmSync(progressFile, { force: true });
      }
      const fd = openSync(partial, 'r+');
      try {
        const jobs: Promise<void>[] = [];
        for (const [si, severity] of o.severities.entries()) {
          for (let start = 0; start < n; start += chunk) {
            const key = `${severity}:${start}`;
            const end = Math.min(n, start + chunk);
            if (done.has(key)) {
              doneChunks++;
              continue;
            }
            const images = set.images.slice(start * px, end * px);
            jobs.push(
              pool
                .run({ kind: 'array', images, height: H, width: W, channels: C, corruption, severity, start, seed: o.seed, preset, frostDir: o.frostDir }, [images.buffer])
                .then((out) => {
                  writeSync(fd, out, 0, out.length, header.length + (si * n + start) * px);
                  done.add(key);
                  writeFileAtomic(progressFile, JSON.stringify({ shape, seed: o.seed, done: [...done] }));
                  o.onProgress?.(++doneChunks, totalChunks, corruption);
                }),
            );
          }
        }
        await Promise.all(jobs);
      } finally {
        closeSync(fd);
      }
      renameSync(partial, file);
      rmSync(progressFile, { force: true });
      result.written.push(file);
      result.images += n * reps;
    }
  } finally {
    await pool.close();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

export async function corruptFolder(root: string, o: CorruptRunOptions): Promise<CorruptRunResult> {
  const { entries } = listImageFolder(root);
  const t0 = performance.now();
  const result: CorruptRunResult = { out: o.out, written: [], skipped: [], images: 0, seconds: 0 };
  const pool = new WorkerPool<FileJob, number>(workerUrl(), Math.max(1, o.workers ?? cpus().length));
  const chunk = o.chunk ?? 16;
  const stem = (f: string) => f.replace(/\.[^.]+$/, '');
  const preset = o.preset;
  try {
    const jobs: Promise<void>[] = [];
    let total = 0;
    let done = 0;
    for (const corruption of o.corruptions) {
      for (const severity of o.severities) {
        const todo = entries
          .map((e, index) => ({ src: e.file, dst: join(o.out, corruption, String(severity), stem(e.relative) + (/\.jpe?g$/i.test(e.relative) ? e.relative.slice(stem(e.relative).length) : '.JPEG')), index }))
          .filter((f) => {
            if (existsSync(f.dst)) {
              result.skipped.push(f.dst);
              return false;
            }
            return true;
          });
        for (let k = 0; k < todo.length; k += chunk) {
          const files = todo.slice(k, k + chunk);
          total += files.length;
          jobs.push(
            pool.run({ kind: 'files', files, corruption, severity, seed: o.seed, preset, frostDir: o.frostDir, quality: 85 }).then((count) => {
              done += count;
              result.images += count;
              result.written.push(...files.map((f) => f.dst));
              o.onProgress?.(done, total, `${corruption}/${severity}`);
            }),
          );
        }
      }
    }
    await Promise.all(jobs);
  } finally {
    await pool.close();
  }
  writeFileAtomic(join(o.out, 'manifest.json'), manifest(o, `folder:${root}`, preset ?? 'by image size', 'imagenet-c', { images: entries.length, root: basename(root) }));
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
