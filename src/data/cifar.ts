/**
 * CIFAR-10 / CIFAR-100, either release:
 * - binary: records of label byte(s) + 3072 bytes (R, G, B planes of 32×32); CIFAR-100 records carry a
 *   coarse and a fine label, the fine one is used;
 * - python (what torchvision downloads: cifar-10-batches-py/, cifar-100-python/): pickled dicts with
 *   `data` (N×3072 uint8, the same R, G, B planes), `labels` / `fine_labels`, and class names in
 *   batches.meta / meta — read by the safe reader in pickle.ts, never by running a pickle.
 * `cifar10:DIR` is the batch directory itself or its parent (torchvision's `root`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import type { DatasetSplits, ImageSet } from './dataset.js';
import { checkLabelRange } from './labels.js';
import { ndarrayValues, parsePickle, pyText, type PyDict, type PyValue } from './pickle.js';

const PIXELS = 32 * 32 * 3;

export function readCifarBatch(file: string, variant: 'cifar10' | 'cifar100'): { images: Uint8Array; labels: Int32Array } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const record = labelBytes + PIXELS;
  if (buf.length === 0 || buf.length % record !== 0) {
    throw new ActbenchError('CIFAR_BAD_SIZE', `${file}: ${buf.length} bytes is not a whole number of ${record}-byte ${variant} records (truncated or wrong variant?)`, { file, field: 'size' });
  }
  const n = buf.length / record;
  const classes = variant === 'cifar10' ? 10 : 100;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = i * record;
    const label = buf[r + labelBytes - 1];
    if (label >= classes) throw new ActbenchError('CIFAR_BAD_LABEL', `${file}: record ${i} has label ${label}, expected 0..${classes - 1}`, { file, field: `record[${i}].label` });
    labels[i] = label;
    // CHW planes → HWC
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[i * PIXELS + p * 3 + c] = buf[r + labelBytes + c * 1024 + p];
  }
  return { images, labels };
}

function concat(parts: { images: Uint8Array; labels: Int32Array }[]): { images: Uint8Array; labels: Int32Array } {
  const n = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    images.set(p.images, k * PIXELS);
    labels.set(p.labels, k);
    k += p.labels.length;
  }
  return { images, labels };
}

type Variant = 'cifar10' | 'cifar100';

/** The files of each release; the folder names are the ones in the official archives. */
const LAYOUTS = {
  binary: {
    cifar10: { folder: 'cifar-10-batches-bin', train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'], meta: null },
    cifar100: { folder: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'], meta: null },
  },
  python: {
    cifar10: { folder: 'cifar-10-batches-py', train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`), test: ['test_batch'], meta: 'batches.meta' },
    cifar100: { folder: 'cifar-100-python', train: ['train'], test: ['test'], meta: 'meta' },
  },
} as const;

function readFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
}

const badPickle = (file: string, field: string, why: string) => new ActbenchError('CIFAR_BAD_PICKLE', `${file}: ${why}`, { file, field });

function pickleDict(file: string): PyDict {
  const v = parsePickle(readFile(file), file);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || Array.isArray(v) || v.kind !== 'dict') throw badPickle(file, 'root', 'the pickle does not hold a dict (a CIFAR python batch is {data, labels, ...})');
  return v;
}

const intList = (file: string, field: string, v: PyValue | undefined): number[] => {
  const xs = Array.isArray(v) ? v : v && typeof v === 'object' && !(v instanceof Uint8Array) && v.kind === 'ndarray' && v.shape.length === 1 ? ndarrayValues(v) : null;
  if (!xs) throw badPickle(file, field, `'${field}' ${v === undefined ? 'is missing' : 'is not a list of class indices'}`);
  return xs.map((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw badPickle(file, `${field}[${i}]`, `'${field}'[${i}] is ${String(x)}, expected a class index`);
    return x;
  });
};

/** One python batch: `data` (N, 3072) uint8 in R, G, B planes, labels from `labels` (CIFAR-10) or `fine_labels` (CIFAR-100). */
export function readCifarPickle(file: string, variant: Variant): { images: Uint8Array; labels: Int32Array } {
  const d = pickleDict(file).entries;
  const data = d.get('data');
  if (!data || typeof data !== 'object' || data instanceof Uint8Array || Array.isArray(data) || data.kind !== 'ndarray') throw badPickle(file, 'data', `'data' ${data === undefined ? 'is missing' : 'is not a numpy array'}`);
  if (data.dtype !== 'u1' || data.shape.length !== 2 || data.shape[1] !== PIXELS) throw badPickle(file, 'data', `'data' is ${data.dtype} (${data.shape.join(', ')}), expected uint8 (N, ${PIXELS})`);
  const field = variant === 'cifar10' ? 'labels' : 'fine_labels';
  const list = intList(file, field, d.get(field));
  const n = data.shape[0];
  if (list.length !== n) throw badPickle(file, field, `${list.length} '${field}' for ${n} rows of 'data'`);
  const labels = Int32Array.from(list);
  checkLabelRange(file, labels, variant === 'cifar10' ? 10 : 100, 'CIFAR_BAD_LABEL');
  const images = new Uint8Array(n * PIXELS);
  const raw = data.data;
  // CHW planes → HWC (torchvision: reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
  for (let i = 0; i < n; i++) for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[i * PIXELS + p * 3 + c] = raw[i * PIXELS + c * 1024 + p];
  return { images, labels };
}

/** Class names from batches.meta (`label_names`) or meta (`fine_label_names`). */
function readCifarMeta(file: string, variant: Variant): string[] {
  const field = variant === 'cifar10' ? 'label_names' : 'fine_label_names';
  const v = pickleDict(file).entries.get(field);
  const names = Array.isArray(v) ? v.map(pyText) : null;
  const classes = variant === 'cifar10' ? 10 : 100;
  if (!names || names.length !== classes || names.some((x) => x === null)) throw badPickle(file, field, `'${field}' ${v === undefined ? 'is missing' : `is not a list of ${classes} names`}`);
  return names as string[];
}

/**
 * Which release `dir` (or its official sub-folder) holds. A partly present release names its first missing
 * file; with no file of either, both layouts are listed.
 */
function findLayout(dir: string, variant: Variant): { dir: string; kind: 'binary' | 'python' } {
  const files = (kind: 'binary' | 'python') => [...LAYOUTS[kind][variant].train, ...LAYOUTS[kind][variant].test];
  let best: { dir: string; kind: 'binary' | 'python'; have: number } | null = null;
  for (const kind of ['binary', 'python'] as const) {
    for (const d of [dir, join(dir, LAYOUTS[kind][variant].folder)]) {
      const have = files(kind).filter((f) => existsSync(join(d, f))).length;
      if (have === files(kind).length) return { dir: d, kind };
      if (have > 0 && (!best || have > best.have)) best = { dir: d, kind, have };
    }
  }
  if (best) {
    const missing = join(best.dir, files(best.kind).find((f) => !existsSync(join(best.dir, f))) as string);
    throw new ActbenchError('CIFAR_MISSING', `${missing} not found: a ${variant} ${best.kind} directory has ${files(best.kind).join(', ')}`, { file: missing });
  }
  throw new ActbenchError('CIFAR_MISSING', `${dir} holds neither ${variant} release (in it, or in ${LAYOUTS.binary[variant].folder}/ or ${LAYOUTS.python[variant].folder}/): the binary one has ${files('binary').join(', ')}; the python one ${files('python').join(', ')}`, { file: dir });
}

export function readCifar(dir: string, variant: Variant): DatasetSplits {
  if (!existsSync(dir)) throw new ActbenchError('DATA_MISSING', `${variant} directory ${dir} does not exist`, { file: dir });
  const found = findLayout(dir, variant);
  const layout = LAYOUTS[found.kind][variant];
  const read = found.kind === 'binary' ? readCifarBatch : readCifarPickle;
  const classNames = layout.meta && existsSync(join(found.dir, layout.meta)) ? readCifarMeta(join(found.dir, layout.meta), variant) : undefined;
  const set = (name: string, files: readonly string[]): ImageSet => ({
    name,
    ...concat(files.map((f) => read(join(found.dir, f), variant))),
    height: 32,
    width: 32,
    channels: 3,
    numClasses: variant === 'cifar10' ? 10 : 100,
    ...(classNames ? { classNames } : {}),
  });
  const train = set(`${variant}-train`, layout.train);
  const test = set(`${variant}-test`, layout.test);
  return {
    name: variant, train, test, source: `${variant}:${dir}`, spec: { kind: variant, dir },
    split: { method: 'files', seed: null, testFraction: test.labels.length / (train.labels.length + test.labels.length) },
  };
}

/** Encode records (tests, and exporting subsets). */
export function encodeCifar(images: Uint8Array, labels: Int32Array, variant: 'cifar10' | 'cifar100'): Uint8Array {
  const lb = variant === 'cifar10' ? 1 : 2;
  const out = new Uint8Array(labels.length * (lb + PIXELS));
  for (let i = 0; i < labels.length; i++) {
    const r = i * (lb + PIXELS);
    out[r + lb - 1] = labels[i];
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[r + lb + c * 1024 + p] = images[i * PIXELS + p * 3 + c];
  }
  return out;
}
