/**
 * `actbench corrupt` as a library call: corrupted copies of a dataset (src/corrupt/pipeline.ts) — an array
 * dataset (optionally a class-stratified subset) or a `folder:` tree — or an SVG preview grid. Every input
 * is checked before any data is read or written; outputs never touch the inputs.
 */
import { join } from 'node:path';
import { checkFrostDir } from '../corrupt/frost.js';
import type { CorruptionName, Preset } from '../corrupt/index.js';
import { corruptArraySet, corruptFolder, type CorruptRunResult } from '../corrupt/pipeline.js';
import { openCorruptJobs } from './corrupt-jobs.js';
import { previewSvg } from '../corrupt/preview.js';
import { loadDataset } from '../data/sources.js';
import { absoluteDataSpec, dataName, folderDir, isFolder, specInputPaths } from '../data/spec.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { ActbenchError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertDisjoint, assertFresh } from '../util/paths.js';

export interface CorruptRequest {
  /** the dataset spec (cifar10:DIR, mnist, npy:I,L, folder:DIR …) */
  data: string;
  corruptions: CorruptionName[];
  severities: number[];
  seed: number;
  /** output directory (default corruptions/<dataset>-c, or corruptions/folder-c) */
  out?: string;
  workers?: number;
  preset?: Preset;
  frostDir?: string;
  /** array datasets: which split (default test) */
  split?: 'test' | 'train';
  /** array datasets: a class-stratified, deterministic subset of this many images */
  limit?: number;
  force?: boolean;
  /** corrupt on the `actbench worker`s of this queue (array datasets; src/api/corrupt-jobs.ts) */
  queue?: string;
  /** with `queue`: a directory every worker sees (`out` inside it); without it, shards travel through Redis */
  artifacts?: string;
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (line: string) => void;
}

export interface CorruptPreviewRequest {
  data: string;
  corruptions: CorruptionName[];
  seed: number;
  /** images in the grid (default 2) */
  images?: number;
  split?: 'test' | 'train';
  preset?: Preset;
  frostDir?: string;
  /** the SVG file (default reports/corruptions-preview-<dataset>.svg); an existing one is kept unless force */
  out?: string;
  force?: boolean;
}

/** The dataset's files plus --frost-dir: what no output may be, be inside of, or contain. */
function inputsOf(data: string, frostDir?: string) {
  const inputs = specInputPaths(data);
  if (frostDir) inputs.push({ path: frostDir, what: '--frost-dir' });
  return inputs;
}

/** --limit and --split choose images of an array dataset; a folder is corrupted (and previewed) whole. */
function checkSelection(data: string, limit: number | undefined, split: 'test' | 'train'): void {
  if (isFolder(data) && (limit !== undefined || split !== 'test')) {
    throw new ActbenchError('CLI_BAD_FLAG', '--limit and --split apply to array datasets; a folder: dataset is corrupted whole', { field: limit !== undefined ? '--limit' : '--split', exit: 2 });
  }
}

/** Corrupt a dataset: every (corruption, severity) block not already complete in `out` is written. */
export async function runCorrupt(o: CorruptRequest): Promise<CorruptRunResult> {
  const split = o.split ?? 'test';
  if (o.frostDir) checkFrostDir(o.frostDir);
  checkSelection(o.data, o.limit, split);
  const folder = folderDir(o.data);
  const inputs = inputsOf(o.data, o.frostDir);
  const canonical = absoluteDataSpec(o.data);
  const out = o.out ?? join('corruptions', folder ? 'folder-c' : `${dataName(o.data)}-c`);
  assertDisjoint({ path: out, what: '--out' }, folder ? [{ path: folder, what: 'dataset folder' }, ...inputs] : inputs);
  const common = { corruptions: o.corruptions, severities: o.severities, seed: o.seed, workers: o.workers, preset: o.preset, frostDir: o.frostDir, force: o.force, inputs, onProgress: o.onProgress, log: o.log, out };
  const jobs = o.queue ? await openCorruptJobs({ queue: o.queue, artifacts: o.artifacts, src: { data: o.data, split, limit: o.limit }, out, log: o.log }) : null;
  try {
    if (folder) return await corruptFolder(folder, common);
    const ds = loadDataset(o.data);
    const full = split === 'train' ? ds.train : ds.test;
    const total = full.labels.length;
    const sub = o.limit && o.limit < total ? stratifiedSubset(full, o.limit, SPLIT_SEED) : null;
    const selection = sub ? `class-stratified ${o.limit} of ${total} (split seed ${SPLIT_SEED}); per-image seeds from the full-split index` : `all ${total} images`;
    return await corruptArraySet(sub ? sub.set : full, { ...common, subset: { split, selection }, indices: sub?.indices, ...jobs?.options(full) }, canonical);
  } finally {
    await jobs?.close();
  }
}

/** An SVG grid (corruptions × severities) of the first few images; returns the file written. */
export function corruptPreview(o: CorruptPreviewRequest): string {
  if (o.frostDir) checkFrostDir(o.frostDir);
  checkSelection(o.data, undefined, o.split ?? 'test');
  const ds = loadDataset(o.data);
  const set = (o.split ?? 'test') === 'train' ? ds.train : ds.test;
  const images = Array.from({ length: Math.min(o.images ?? 2, set.labels.length) }, (_, k) => {
    const px = set.height * set.width * set.channels;
    return { data: set.images.slice(k * px, (k + 1) * px), height: set.height, width: set.width, channels: set.channels };
  });
  const file = o.out ?? join('reports', `corruptions-preview-${dataName(o.data)}.svg`);
  assertDisjoint({ path: file, what: '--out' }, inputsOf(o.data, o.frostDir));
  if (o.out) assertFresh(file, '--out', o.force);
  writeFileAtomic(file, previewSvg(images, o.corruptions, { seed: o.seed, preset: o.preset, frostDir: o.frostDir, title: `${ds.source} — ${o.frostDir ? 'original' : 'procedural'} frost` }));
  return file;
}
