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
 *
 * The output directory is guarded by output-dir.ts (inputs untouched, a lock, resume only the recipe in
 * manifest.json, --force to regenerate); the manifest says complete only once every file is whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { ImageSet } from '../data/dataset.js';
import { listImageFolder } from '../data/folder.js';
import { encodeNpy, parseNpyHeader } from '../data/npy.js';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertDisjoint, type NamedPath } from '../util/paths.js';
import { WorkerPool } from '../util/pool.js';
import { checkCorruptionName, checkSeverity, CORRUPTIONS, MIN_SIDE, presetForSize, type CorruptionName, type Preset } from './index.js';
import type { CorruptionManifest, CorruptionRecipe } from './manifest.js';
import { openCorruptOutput } from './output-dir.js';
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
  /** regenerate an --out made with another recipe (its old outputs are deleted first) */
  force?: boolean;
  /** the files or folders the outputs must not touch (the dataset's); a folder source is added by corruptFolder */
  inputs?: NamedPath[];
  /** how the images were chosen from the source (array sets): recorded in the manifest */
  subset?: { split: 'test' | 'train'; selection: string };
  /** each image's index in its full split (when `set` is a subset): per-image seeds derive from these */
  indices?: number[];
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (line: string) => void;
  /** where an array chunk is corrupted (default: this machine's worker threads; the queue: src/api/corrupt-jobs.ts) */
  runChunk?: (job: ArrayJob) => Promise<Uint8Array>;
}

export interface CorruptRunResult {
  out: string;
  written: string[];
  skipped: string[];
  images: number;
  seconds: number;
  /** the manifest written (status 'complete') */
  manifest: CorruptionManifest;
}

const workerUrl = () => new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Names in canonical order; a name given twice is refused (it would be corrupted twice into one file). */
function checkCorruptions(names: readonly string[]): CorruptionName[] {
  const checked = names.map(checkCorruptionName);
  const dup = checked.find((c, k) => checked.indexOf(c) !== k);
  if (dup) throw new ActbenchError('CORRUPT_DUPLICATE', `corruption '${dup}' is listed twice`, { field: 'corruptions' });
  if (checked.length === 0) throw new ActbenchError('CORRUPT_UNKNOWN', 'no corruption given', { field: 'corruptions' });
  return CORRUPTIONS.filter((c) => checked.includes(c));
}

function checkSeverities(severities: readonly number[]): number[] {
  severities.forEach(checkSeverity);
  if (severities.length === 0) throw new ActbenchError('CORRUPT_BAD_SEVERITY', 'no severity given', { field: 'severity' });
  if (new Set(severities).size !== severities.length) throw new ActbenchError('CORRUPT_BAD_SEVERITY', `severities repeat: ${severities.join(',')}`, { field: 'severity' });
  return [...severities];
}

function checkPreset(preset: Preset | undefined, h: number, w: number): Preset {
  const p = preset ?? presetForSize(h, w);
  if (Math.min(h, w) < MIN_SIDE[p]) {
    throw new ActbenchError('CORRUPT_TOO_SMALL', `${w}×${h} images are too small for the '${p}' preset (needs a side ≥ ${MIN_SIDE[p]})`, { field: 'preset' });
  }
  return p;
}

function recipeBase(o: CorruptRunOptions, corruptions: CorruptionName[], severities: number[]) {
  return {
    version: 1 as const,
    corruptions,
    severities,
    seed: o.seed,
    frost: o.frostDir ? `original textures from ${resolve(o.frostDir)}` : 'procedural textures (actbench)',
    seeding: 'NumpyRandomState(deriveSeed(seed, corruption, severity, image index)) per image',
    generator: 'actbench (hendrycks/robustness algorithms and severity tables)',
  };
}

function perClassOf(labels: ArrayLike<number>, name: (l: number) => string = String): Record<string, number> {
  const counts = new Map<number, number>();
  for (let k = 0; k < labels.length; k++) counts.set(labels[k], (counts.get(labels[k]) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => a[0] - b[0]).map(([l, c]) => [name(l), c]));
}

/** A complete .npy at `file` with the expected shape? */
function npyComplete(file: string, shape: number[]): boolean {
  if (!existsSync(file)) return false;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
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

/** Run a filesystem step; its Node error becomes a coded one naming the path. */
function fsStep<T>(path: string, doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fsError(e, path, doing);
  }
}

/** sha256 of an array set's pixels and labels: the source's identity in the recipe. */
function arraySetHash(set: ImageSet): string {
  const h = createHash('sha256');
  h.update(`${set.height}x${set.width}x${set.channels}\n`);
  h.update(set.images);
  h.update(new Uint8Array(Int32Array.from(set.labels).buffer));
  return h.digest('hex');
}

export async function corruptArraySet(set: ImageSet, o: CorruptRunOptions, source: string): Promise<CorruptRunResult> {
  const { height: H, width: W, channels: C } = set;
  const corruptions = checkCorruptions(o.corruptions);
  const severities = checkSeverities(o.severities);
  const preset = checkPreset(o.preset, H, W);
  const px = H * W * C;
  const n = set.labels.length;
  if (n === 0) throw new ActbenchError('CORRUPT_EMPTY', `the source ${source} has no images`, { field: 'data' });
  const maxLabel = set.labels.reduce((a, l) => Math.max(a, l), 0);
  if (maxLabel > 255) throw new ActbenchError('CORRUPT_LABELS', `labels up to ${maxLabel} do not fit the uint8 labels.npy of the CIFAR-C layout`, { field: 'labels' });
  const chunk = o.chunk ?? 128;
  const t0 = performance.now();
  const recipe: CorruptionRecipe = {
    ...recipeBase(o, corruptions, severities),
    layout: 'cifar-c',
    source,
    inputSha256: arraySetHash(set),
    subset: { split: o.subset?.split ?? 'test', selection: o.subset?.selection ?? 'all images given', images: n, perClass: perClassOf(set.labels) },
    preset,
    imagesPerSeverity: n,
    shape: [H, W, C],
  };
  const output = openCorruptOutput(o.out, recipe, { force: o.force, inputs: o.inputs });
  const result: CorruptRunResult = { out: o.out, written: [], skipped: [], images: 0, seconds: 0, manifest: { ...recipe, status: 'complete' } };
  const reps = severities.length;
  const labelsFile = join(o.out, 'labels.npy');
  const shapeOf = [n * reps, H, W, ...(C === 1 ? [] : [C])];
  const pool = o.runChunk ? null : new WorkerPool<ArrayJob, Uint8Array>(workerUrl(), Math.max(1, o.workers ?? cpus().length));
  const runChunk = o.runChunk ?? ((job: ArrayJob) => (pool as WorkerPool<ArrayJob, Uint8Array>).run(job, [job.images.buffer as ArrayBuffer]));
  try {
    if (!npyComplete(labelsFile, [n * reps])) {
      const labels = new Uint8Array(n * reps);
      for (let s = 0; s < reps; s++) for (let i = 0; i < n; i++) labels[s * n + i] = set.labels[i];
      fsStep(labelsFile, 'write', () => writeFileAtomic(labelsFile, encodeNpy(labels, [n * reps], 'uint8')));
    }
    const totalChunks = corruptions.length * reps * Math.ceil(n / chunk);
    let doneChunks = 0;
    for (const corruption of corruptions) {
      const file = join(o.out, `${corruption}.npy`);
      if (npyComplete(file, shapeOf)) {
        result.skipped.push(file);
        doneChunks += reps * Math.ceil(n / chunk);
        o.onProgress?.(doneChunks, totalChunks, corruption);
        continue;
      }
      const partial = `${file}.partial`;
      const progressFile = `${file}.progress.json`;
      const header = encodeNpy(new Uint8Array(0), shapeOf, 'uint8');
      let done = new Set<string>();
      if (existsSync(partial) && existsSync(progressFile)) {
        try {
          const p = JSON.parse(readFileSync(progressFile, 'utf8')) as { shape: number[]; seed: number; done: string[] };
          // the manifest's recipe matched, so only the file's own shape and seed remain to check
          if (p.shape.join() === shapeOf.join() && p.seed === o.seed && Array.isArray(p.done) && statSync(partial).size === header.length + n * reps * px) done = new Set(p.done);
        } catch {
          done = new Set(); // a torn or unreadable progress file: redo this corruption
        }
      }
      if (done.size === 0) {
        fsStep(progressFile, 'remove', () => rmSync(progressFile, { force: true }));
        // the whole file at its final size, so every chunk is written in place
        fsStep(partial, 'write', () => {
          writeFileAtomic(partial, header);
          const fd = openSync(partial, 'r+');
          try {
            writeSync(fd, new Uint8Array(1), 0, 1, header.length + n * reps * px - 1);
          } finally {
            closeSync(fd);
          }
        });
      }
      const fd = fsStep(partial, 'open', () => openSync(partial, 'r+'));
      // after a failure no late chunk may write (the descriptor is closed, its number may be reused)
      let failed = false;
      try {
        const jobs: Promise<void>[] = [];
        for (const [si, severity] of severities.entries()) {
          for (let start = 0; start < n; start += chunk) {
            const key = `${severity}:${start}`;
            const end = Math.min(n, start + chunk);
            if (done.has(key)) {
              doneChunks++;
              continue;
            }
            const images = set.images.slice(start * px, end * px);
            jobs.push(
              runChunk({ kind: 'array', images, height: H, width: W, channels: C, corruption, severity, start, seed: o.seed, preset, frostDir: o.frostDir, ...(o.indices ? { indices: o.indices.slice(start, end) } : {}) })
                .then((out) => {
                  if (failed) return;
                  fsStep(partial, 'write', () => writeSync(fd, out, 0, out.length, header.length + (si * n + start) * px));
                  done.add(key);
                  fsStep(progressFile, 'write', () => writeFileAtomic(progressFile, JSON.stringify({ shape: shapeOf, seed: o.seed, done: [...done] })));
                  o.onProgress?.(++doneChunks, totalChunks, corruption);
                })
                .catch((e: unknown) => {
                  failed = true;
                  throw e;
                }),
            );
          }
        }
        await Promise.all(jobs);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        closeSync(fd);
      }
      fsStep(file, 'write', () => renameSync(partial, file));
      fsStep(progressFile, 'remove', () => rmSync(progressFile, { force: true }));
      result.written.push(file);
      result.images += n * reps;
    }
    // the manifest may say complete only when it is
    const missing = [labelsFile, ...corruptions.map((c) => join(o.out, `${c}.npy`))].filter((f, k) => !npyComplete(f, k === 0 ? [n * reps] : shapeOf));
    if (missing.length) throw new ActbenchError('CORRUPT_INCOMPLETE', `${missing.join(', ')} did not come out whole; rerun to finish`, { file: missing[0] });
    output.complete();
  } finally {
    await pool?.close();
    output.release();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** sha256 of a folder's listing (relative paths and sizes): the source's identity in the recipe. */
function folderHash(entries: { file: string; relative: string }[]): string {
  const h = createHash('sha256');
  for (const e of entries) h.update(`${e.relative}\t${fsStep(e.file, 'read', () => statSync(e.file).size)}\n`);
  return h.digest('hex');
}

export async function corruptFolder(root: string, o: CorruptRunOptions): Promise<CorruptRunResult> {
  const corruptions = checkCorruptions(o.corruptions);
  const severities = checkSeverities(o.severities);
  const inputs = [{ path: root, what: 'dataset folder' }, ...(o.inputs ?? [])];
  // before listing: an --out inside the folder would otherwise be listed as data on a rerun
  assertDisjoint({ path: o.out, what: '--out' }, inputs);
  const { classes, entries } = listImageFolder(root);
  const t0 = performance.now();
  const recipe: CorruptionRecipe = {
    ...recipeBase(o, corruptions, severities),
    layout: 'imagenet-c',
    source: `folder:${resolve(root)}`,
    inputSha256: folderHash(entries),
    subset: { split: 'folder', selection: 'all images', images: entries.length, perClass: perClassOf(entries.map((e) => e.label), (l) => classes[l]) },
    preset: o.preset ?? 'by image size',
    imagesPerSeverity: entries.length,
    shape: [0, 0, 3],
  };
  const output = openCorruptOutput(o.out, recipe, { force: o.force, inputs });
  const result: CorruptRunResult = { out: o.out, written: [], skipped: [], images: 0, seconds: 0, manifest: { ...recipe, status: 'complete' } };
  const pool = new WorkerPool<FileJob, number>(workerUrl(), Math.max(1, o.workers ?? cpus().length));
  const chunk = o.chunk ?? 16;
  const stem = (f: string) => f.replace(/\.[^.]+$/, '');
  const preset = o.preset;
  try {
    const jobs: Promise<void>[] = [];
    let total = 0;
    let done = 0;
    for (const corruption of corruptions) {
      for (const severity of severities) {
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
    output.complete();
  } finally {
    await pool.close();
    output.release();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
