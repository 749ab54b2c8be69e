/**
 * The manifest of a corrupted set written by `actbench corrupt` (manifest.json): the one description of a
 * CIFAR-C style directory's layout, written by the pipeline and read by evaluation. Rows of
 * `<corruption>.npy` are severity-major: block k (0-based) holds `imagesPerSeverity` images of
 * severity `severities[k]`, in the order of the source subset.
 *
 * The pipeline writes it before any output with status 'in-progress' and rewrites it with 'complete' once
 * every file is whole, so a directory whose manifest says complete is complete; readers refuse an
 * unfinished set. Everything but `status` is the run's recipe: a rerun into the directory resumes only the
 * same recipe.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export const CORRUPTION_MANIFEST = 'manifest.json';

export type CorruptionSetStatus = 'in-progress' | 'complete';

export interface CorruptionManifest {
  /** format version of this file */
  version: 1;
  /** 'complete' only once every output file is whole (manifests without the field count as complete) */
  status: CorruptionSetStatus;
  layout: 'cifar-c' | 'imagenet-c';
  /** the --data spec (paths made absolute) or a description of the source */
  source: string;
  /** sha256 of the source images and labels (array sets) or of the file list with sizes (folders) */
  inputSha256?: string;
  /** the images corrupted: split, how they were chosen, and how many of each class */
  subset: { split: 'test' | 'train' | 'folder'; selection: string; images: number; perClass: Record<string, number> };
  preset: string;
  /** in the canonical order of CORRUPTIONS */
  corruptions: string[];
  /** the order of the severity blocks in every .npy */
  severities: number[];
  imagesPerSeverity: number;
  /** [H, W, C]; [0, 0, 3] for image folders, whose sizes vary */
  shape: [number, number, number];
  seed: number;
  frost: string;
  seeding: string;
  generator: string;
}

export type CorruptionRecipe = Omit<CorruptionManifest, 'status'>;

const isIntArray = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/**
 * Read and validate `dir/manifest.json`; null when there is none (a released CIFAR-10-C directory).
 * An unfinished set (status 'in-progress') is refused with CORRUPT_INCOMPLETE unless `allowIncomplete`
 * (the pipeline, which resumes it).
 */
export function readCorruptionManifest(dir: string, o: { allowIncomplete?: boolean } = {}): CorruptionManifest | null {
  const file = join(dir, CORRUPTION_MANIFEST);
  let text: string;
  try {
    if (!statSync(file, { throwIfNoEntry: false })) return null;
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ActbenchError('CORRUPT_BAD_MANIFEST', `${file} is not valid JSON (${(e as Error).message}); regenerate the set with actbench corrupt --force`, { file });
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ActbenchError('CORRUPT_BAD_MANIFEST', `${file} must hold a JSON object; regenerate the set with actbench corrupt --force`, { file });
  const bad = (field: string, expected: string) => {
    throw new ActbenchError('CORRUPT_BAD_MANIFEST', `${file}: field '${field}' must be ${expected}, got ${JSON.stringify(m[field])}`, { file, field });
  };
  if (m.version !== 1) bad('version', '1 (written by this actbench; regenerate older sets with actbench corrupt --force)');
  if (m.status === undefined) m.status = 'complete';
  if (m.status !== 'complete' && m.status !== 'in-progress') bad('status', "'complete' or 'in-progress'");
  if (m.layout !== 'cifar-c' && m.layout !== 'imagenet-c') bad('layout', "'cifar-c' or 'imagenet-c'");
  if (!isIntArray(m.severities) || (m.severities as number[]).length === 0 || (m.severities as number[]).some((s) => s < 1 || s > 5)) bad('severities', 'a non-empty list of severities 1–5');
  if (new Set(m.severities as number[]).size !== (m.severities as number[]).length) bad('severities', 'a list without repeats');
  if (!Array.isArray(m.corruptions) || !(m.corruptions as unknown[]).every((c) => typeof c === 'string')) bad('corruptions', 'a list of corruption names');
  if (!Number.isInteger(m.imagesPerSeverity) || (m.imagesPerSeverity as number) < 1) bad('imagesPerSeverity', 'a positive integer');
  if (!isIntArray(m.shape) || (m.shape as number[]).length !== 3) bad('shape', '[H, W, C]');
  if (!Number.isInteger(m.seed)) bad('seed', 'an integer');
  const sub = m.subset as CorruptionManifest['subset'] | undefined;
  if (!sub || typeof sub !== 'object' || !Number.isInteger(sub.images) || !sub.perClass || typeof sub.perClass !== 'object') bad('subset', '{ split, selection, images, perClass }');
  if (m.status === 'in-progress' && !o.allowIncomplete) {
    throw new ActbenchError('CORRUPT_INCOMPLETE', `${dir} is an unfinished corruption set (${file} says in progress): finish it by rerunning the same actbench corrupt command`, { file, field: 'status' });
  }
  return m as unknown as CorruptionManifest;
}

/** Write `dir/manifest.json` atomically (temp + rename); fs errors name the file. */
export function writeCorruptionManifest(dir: string, m: CorruptionManifest): void {
  const file = join(dir, CORRUPTION_MANIFEST);
  try {
    writeFileAtomic(file, `${JSON.stringify(m, null, 2)}\n`);
  } catch (e) {
    throw fsError(e, file, 'write');
  }
}

/** The recipe of a manifest: everything that must match for a rerun to resume it. */
export function corruptionRecipe(m: CorruptionManifest | CorruptionRecipe): CorruptionRecipe {
  const { status: _status, ...recipe } = m as CorruptionManifest;
  return recipe;
}
