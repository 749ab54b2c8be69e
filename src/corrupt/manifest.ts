/**
 * The manifest of a corrupted set written by `actbench corrupt` (manifest.json): the one description of a
 * CIFAR-C style directory's layout, written by the pipeline and read by evaluation. Rows of
 * `<corruption>.npy` are severity-major: block k (0-based) holds `imagesPerSeverity` images of
 * severity `severities[k]`, in the order of the source subset.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';

export const CORRUPTION_MANIFEST = 'manifest.json';

export interface CorruptionManifest {
  /** format version of this file */
  version: 1;
  layout: 'cifar-c' | 'imagenet-c';
  /** the --data spec and a human description of the source */
  source: string;
  /** the images corrupted: split, how they were chosen, and how many of each class */
  subset: { split: 'test' | 'train' | 'folder'; selection: string; images: number; perClass: Record<string, number> };
  preset: string;
  corruptions: string[];
  /** the order of the severity blocks in every .npy */
  severities: number[];
  imagesPerSeverity: number;
  /** [H, W, C] */
  shape: [number, number, number];
  seed: number;
  frost: string;
  seeding: string;
  generator: string;
}

const isIntArray = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/** Read and validate `dir/manifest.json`; null when there is none (a released CIFAR-10-C directory). */
export function readCorruptionManifest(dir: string): CorruptionManifest | null {
  const file = join(dir, CORRUPTION_MANIFEST);
  if (!existsSync(file)) return null;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ActbenchError('CORRUPT_BAD_MANIFEST', `${file} is not valid JSON (${(e as Error).message}); regenerate the set with actbench corrupt --force`, { file });
  }
  const bad = (field: string, expected: string) => {
    throw new ActbenchError('CORRUPT_BAD_MANIFEST', `${file}: field '${field}' must be ${expected}, got ${JSON.stringify(m[field])}`, { file, field });
  };
  if (m.version !== 1) bad('version', '1 (written by this actbench; regenerate older sets with actbench corrupt --force)');
  if (m.layout !== 'cifar-c' && m.layout !== 'imagenet-c') bad('layout', "'cifar-c' or 'imagenet-c'");
  if (!isIntArray(m.severities) || (m.severities as number[]).length === 0 || (m.severities as number[]).some((s) => s < 1 || s > 5)) bad('severities', 'a non-empty list of severities 1–5');
  if (new Set(m.severities as number[]).size !== (m.severities as number[]).length) bad('severities', 'a list without repeats');
  if (!Array.isArray(m.corruptions) || !(m.corruptions as unknown[]).every((c) => typeof c === 'string')) bad('corruptions', 'a list of corruption names');
  if (!Number.isInteger(m.imagesPerSeverity) || (m.imagesPerSeverity as number) < 1) bad('imagesPerSeverity', 'a positive integer');
  if (!isIntArray(m.shape) || (m.shape as number[]).length !== 3) bad('shape', '[H, W, C]');
  if (!Number.isInteger(m.seed)) bad('seed', 'an integer');
  const sub = m.subset as CorruptionManifest['subset'] | undefined;
  if (!sub || typeof sub !== 'object' || !Number.isInteger(sub.images) || typeof sub.perClass !== 'object') bad('subset', '{ split, selection, images, perClass }');
  return m as unknown as CorruptionManifest;
}
