/** An in-memory labelled image set: uint8 pixels, NHWC, integer labels. */
import type { DataSpec } from './spec.js';

export interface ImageSet {
  name: string;
  /** N·H·W·C bytes, row-major NHWC */
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames?: string[];
}

/** How the test set was separated from the training set, for manifests and reports. */
export interface SplitInfo {
  /**
   * 'stratified': a class-stratified hold-out of one pool, drawn under `seed` (SPLIT_SEED, never the
   * training seed); 'files': the dataset's own train/test files or train/val folders.
   */
  method: 'stratified' | 'files';
  /** the split's seed; null when the split comes from the files */
  seed: number | null;
  /** share of the images in the test set (requested for 'stratified', as found for 'files') */
  testFraction: number;
}

export interface DatasetSplits {
  name: string;
  train: ImageSet;
  test: ImageSet;
  /** where the data came from, for manifests */
  source: string;
  /** the parsed `--data` spec */
  spec: DataSpec;
  split: SplitInfo;
}

export const count = (s: ImageSet): number => s.labels.length;

/** Images per class, indexed by label (length numClasses): for reports and `--limit-train` messages. */
export function classCounts(s: ImageSet): number[] {
  const n = new Array<number>(s.numClasses).fill(0);
  for (const l of s.labels) n[l] = (n[l] ?? 0) + 1;
  return n;
}

/** "0: 100, 1: 98, …" (class names when known), for messages and reports. */
export function formatClassCounts(s: ImageSet, counts: ArrayLike<number> = classCounts(s)): string {
  return Array.from(counts, (c, k) => `${s.classNames?.[k] ?? k}: ${c}`).join(', ');
}

/** A subset by indices (copies). */
export function subset(s: ImageSet, idx: ArrayLike<number>, name = s.name): ImageSet {
  const px = s.height * s.width * s.channels;
  const images = new Uint8Array(idx.length * px);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    images.set(s.images.subarray(idx[k] * px, (idx[k] + 1) * px), k * px);
    labels[k] = s.labels[idx[k]];
  }
  return { ...s, name, images, labels };
}
