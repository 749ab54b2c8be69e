/**
 * CIFAR-10 / CIFAR-100 binary version: records of label byte(s) + 3072 bytes (R, G, B planes of 32×32).
 * CIFAR-100 records carry a coarse and a fine label; the fine one is used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import type { DatasetSplits, ImageSet } from './dataset.js';

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

export function readCifar(dir: string, variant: 'cifar10' | 'cifar100'): DatasetSplits {
  const trainFiles = variant === 'cifar10' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['train.bin'];
  const testFiles = variant === 'cifar10' ? ['test_batch.bin'] : ['test.bin'];
  if (!existsSync(dir)) throw new ActbenchError('DATA_MISSING', `${variant} directory ${dir} does not exist`, { file: dir });
  for (const f of [...trainFiles, ...testFiles]) {
    if (!existsSync(join(dir, f))) {
      throw new ActbenchError('CIFAR_MISSING', `${join(dir, f)} not found: a ${variant} binary directory has ${[...trainFiles, ...testFiles].join(', ')}`, { file: join(dir, f) });
    }
  }
  const set = (name: string, files: string[]): ImageSet => ({
    name,
    ...concat(files.map((f) => readCifarBatch(join(dir, f), variant))),
    height: 32,
    width: 32,
    channels: 3,
    numClasses: variant === 'cifar10' ? 10 : 100,
  });
  const train = set(`${variant}-train`, trainFiles);
  const test = set(`${variant}-test`, testFiles);
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
