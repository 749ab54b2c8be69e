/**
 * The data boundary: splits that never depend on a training seed, class-stratified subsets, labels that are
 * never truncated or wrapped, dataset structure, and filesystem errors that name the path.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { checkTrainable } from '../../src/data/check.js';
import { encodeCifar, readCifar } from '../../src/data/cifar.js';
import { classCounts, type DatasetSplits, type ImageSet } from '../../src/data/dataset.js';
import { encodeIdx } from '../../src/data/idx.js';
import { encodeNpy, type NpyData, type NpyDtype } from '../../src/data/npy.js';
import { CifarC } from '../../src/data/released.js';
import { loadDataset, MNIST_TEST_FRACTION } from '../../src/data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../../src/data/split.js';
import { ActbenchError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-boundary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refuses(fn: () => unknown, code: string, o: { file?: string; field?: string; message?: RegExp } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ActbenchError, `expected an ActbenchError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (o.file !== undefined) assert.equal(e.file, o.file);
    if (o.field !== undefined) assert.equal(e.field, o.field);
    if (o.message) assert.match(e.message, o.message);
    return true;
  });
}

const npy = (name: string, data: NpyData, shape: number[], dtype: NpyDtype): string => {
  const f = join(dir, name);
  writeFileSync(f, encodeNpy(data, shape, dtype));
  return f;
};
const images = (n: number, h = 4, w = 4, c?: number) => npy(`img-${n}-${h}-${w}-${c}.npy`, Uint8Array.from({ length: n * h * w * (c ?? 1) }, (_, k) => (k * 37) % 256), c === undefined ? [n, h, w] : [n, h, w, c], 'uint8');
const labelsI32 = (name: string, xs: number[]) => npy(name, Int32Array.from(xs), [xs.length], 'int32');
const rows = (s: ImageSet): string[] => {
  const px = s.height * s.width * s.channels;
  return Array.from({ length: s.labels.length }, (_, k) => Buffer.from(s.images.subarray(k * px, (k + 1) * px)).toString('base64'));
};
function png(file: string, width: number, height: number, v = 100): void {
  const p = new PNG({ width, height });
  p.data.fill(v);
  writeFileSync(file, PNG.sync.write(p));
}
function tree(root: string, classes: Record<string, number>, size = 4): void {
  for (const [c, n] of Object.entries(classes)) {
    mkdirSync(join(root, c), { recursive: true });
    for (let k = 0; k < n; k++) png(join(root, c, `${k}.png`), size, size, 10 * k);
  }
}

describe('test splits never depend on a training seed (issue 9 #4)', () => {
  // callers used to pass their training seed; JS ignores an extra argument, which is the point
  const withSeed = loadDataset as unknown as (spec: string, seed: number) => DatasetSplits;
  it('mnist: the test images are the same whatever seed the caller holds, and are never training images', () => {
    const a = withSeed('mnist', 0);
    const b = withSeed('mnist', 1);
    assert.deepEqual(a.split, { method: 'stratified', seed: SPLIT_SEED, testFraction: MNIST_TEST_FRACTION });
    const ra = rows(a.test);
    const rb = rows(b.test);
    let differ = 0;
    for (let k = 0; k < 1000; k++) if (ra[k] !== rb[k]) differ++;
    assert.equal(differ, 0, `${differ} of the first 1000 test images differ between seeds 0 and 1`);
    assert.deepEqual([...a.test.labels], [...b.test.labels]);
    const train = new Set(rows(b.train));
    const leaked = ra.filter((r) => train.has(r)).length;
    // the package holds a few exact duplicate digits: allow those, but nothing like a seed-dependent split
    assert.ok(leaked < 20, `${leaked} test images of one load are training images of another`);
  });
  it('npy and flat folder data: split under SPLIT_SEED, recorded, identical on every load', () => {
    const spec = `npy:${images(50)},${labelsI32('l50.npy', Array.from({ length: 50 }, (_, k) => k % 5))}`;
    const a = withSeed(spec, 3);
    const b = withSeed(spec, 4);
    assert.deepEqual(a.split, { method: 'stratified', seed: SPLIT_SEED, testFraction: 0.2 });
    assert.deepEqual(rows(a.test), rows(b.test));
    assert.deepEqual(classCounts(a.test), [2, 2, 2, 2, 2]);
    const root = join(dir, 'flat');
    tree(root, { a: 10, b: 10 });
    const f1 = withSeed(`folder:${root}`, 0);
    const f2 = withSeed(`folder:${root}`, 9);
    assert.equal(f1.split.seed, SPLIT_SEED);
    assert.deepEqual(rows(f1.test), rows(f2.test));
    assert.deepEqual(f1.spec, { kind: 'folder', dir: root });
  });
  it('datasets with their own test files say so', () => {
    const root = join(dir, 'tv');
    tree(join(root, 'train'), { cat: 3, dog: 3 });
    tree(join(root, 'val'), { cat: 1, dog: 1 });
    const ds = loadDataset(`folder:${root}`);
    assert.deepEqual(ds.split, { method: 'files', seed: null, testFraction: 2 / 8 });
    assert.deepEqual(ds.test.classNames, ['cat', 'dog']);
  });
  it('hidden directories and files are not classes or images (.ipynb_checkpoints, .DS_Store)', () => {
    const root = join(dir, 'hidden');
    tree(join(root, 'train'), { cat: 3, dog: 3, '.ipynb_checkpoints': 2 });
    tree(join(root, 'val'), { cat: 1, dog: 1 });
    writeFileSync(join(root, 'train', 'cat', '.DS_Store'), 'x');
    copyFileSync(join(root, 'train', 'cat', '0.png'), join(root, 'train', 'cat', '.0-backup.png'));
    const ds = loadDataset(`folder:${root}`);
    assert.deepEqual(ds.train.classNames, ['cat', 'dog']);
    assert.equal(ds.train.labels.length, 6);
    assert.deepEqual(ds.test.classNames, ['cat', 'dog']);
  });
});

describe('subsets are class-stratified (issue 9 #5)', () => {
  const test = loadDataset('mnist').test;
  it('the package data is grouped by class: the first 1000 test images miss classes', () => {
    const first = new Set(test.labels.subarray(0, 1000));
    assert.ok(first.size < 10, `first 1000 hold ${first.size} classes`);
    assert.ok(!first.has(9));
  });
  it('stratifiedSubset(1000) has every class in proportion, deterministically', () => {
    const all = classCounts(test);
    const a = stratifiedSubset(test, 1000);
    const b = stratifiedSubset(test, 1000);
    assert.deepEqual(a.indices, b.indices);
    const got = classCounts(a.set);
    assert.equal(got.reduce((x, y) => x + y, 0), 1000);
    got.forEach((c, k) => {
      assert.ok(Math.abs(c - (1000 * all[k]) / test.labels.length) < 1, `class ${k}: ${c}`);
      assert.equal(a.perClass.get(k), c);
    });
  });
});

describe('labels are never truncated or wrapped (issue 9 #8)', () => {
  const img = images(4);
  const load = (labels: string) => () => loadDataset(`npy:${img},${labels}`);
  it('refuses a fractional float label, naming the file, index and value', () => {
    const f = npy('float.npy', Float32Array.from([0, 0.699999988079071, 1, 1]), [4], 'float32');
    refuses(load(f), 'LABEL_BAD', { file: f, field: 'labels[1]', message: /float\.npy: label 0\.7 at index 1 is not a whole number/ });
    const nan = npy('nan.npy', Float64Array.from([0, 1, NaN, 1]), [4], 'float64');
    refuses(load(nan), 'LABEL_BAD', { file: nan, field: 'labels[2]', message: /label NaN at index 2 is not a finite number/ });
  });
  it('accepts floats holding whole numbers', () => {
    const f = npy('wholefloat.npy', Float64Array.from([0, 1, 1, 0]), [4], 'float64');
    assert.equal(loadDataset(`npy:${img},${f}`).train.numClasses, 2);
  });
  it('refuses int64 / uint64 labels beyond int32 instead of wrapping them', () => {
    const wrap = npy('i64.npy', BigInt64Array.from([0n, 2n ** 32n + 1n, 1n, 0n]), [4], 'int64');
    refuses(load(wrap), 'LABEL_BAD', { file: wrap, field: 'labels[1]', message: /label 4294967297 at index 1 is beyond the int32 range/ });
    const edge = npy('i64b.npy', BigInt64Array.from([0n, 1n, 2n ** 31n, 0n]), [4], 'int64');
    refuses(load(edge), 'LABEL_BAD', { field: 'labels[2]', message: /2147483648/ });
    const u64 = npy('u64.npy', BigUint64Array.from([0n, 1n, 1n, 2n ** 63n]), [4], 'uint64');
    refuses(load(u64), 'LABEL_BAD', { file: u64, field: 'labels[3]', message: /9223372036854775808/ });
  });
  it('refuses negative labels and non-numeric dtypes', () => {
    refuses(load(labelsI32('neg.npy', [0, 1, -1, 0])), 'LABEL_BAD', { field: 'labels[2]', message: /label -1 at index 2 is negative/ });
    const neg64 = npy('neg64.npy', BigInt64Array.from([-5n, 1n, 0n, 1n]), [4], 'int64');
    refuses(load(neg64), 'LABEL_BAD', { field: 'labels[0]', message: /-5/ });
    const b = join(dir, 'bool.npy');
    writeFileSync(b, Buffer.from(encodeNpy(new Uint8Array(4), [4], 'uint8')).toString('latin1').replace("'|u1'", "'|b1'"), 'latin1');
    refuses(load(b), 'NPY_BAD_DTYPE', { file: b, message: /dtype '\|b1'/ });
    refuses(load(npy('2d.npy', Int32Array.from([0, 1, 0, 1]), [2, 2], 'int32')), 'NPY_BAD_SHAPE', { message: /expected one dimension/ });
  });
  it('released CIFAR-10-C labels go through the same check', () => {
    const c = join(dir, 'cifarc');
    mkdirSync(c);
    writeFileSync(join(c, 'labels.npy'), encodeNpy(Float32Array.from([1, 2.5]), [2], 'float32'));
    refuses(() => new CifarC(c), 'LABEL_BAD', { file: join(c, 'labels.npy'), field: 'labels[1]' });
  });
  it('idx and CIFAR labels beyond the class count are refused with file, index and value', () => {
    const cd = join(dir, 'cifar-bad');
    mkdirSync(cd);
    const ok = encodeCifar(new Uint8Array(2 * 3072), Int32Array.from([1, 2]), 'cifar10');
    for (const n of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5']) writeFileSync(join(cd, `${n}.bin`), ok);
    const bad = encodeCifar(new Uint8Array(2 * 3072), Int32Array.from([3, 10]), 'cifar10');
    writeFileSync(join(cd, 'test_batch.bin'), bad);
    refuses(() => readCifar(cd, 'cifar10'), 'CIFAR_BAD_LABEL', { file: join(cd, 'test_batch.bin'), field: 'record[1].label', message: /label 10, expected 0..9/ });
    const md = join(dir, 'idx-bad');
    mkdirSync(md);
    writeFileSync(join(md, 'train-images-idx3-ubyte'), encodeIdx([2, 2, 2], new Uint8Array(8)));
    writeFileSync(join(md, 'train-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.from([0, 11])));
    refuses(() => loadDataset(`mnist-idx:${md}`), 'IDX_BAD_LABEL', { file: join(md, 'train-labels-idx1-ubyte'), field: 'labels[1]', message: /label 11 at index 1/ });
  });
});

describe('dataset structure (issue 19 #6)', () => {
  it('refuses .npy images with 2 or 4 channels, with a hint', () => {
    const l = labelsI32('l4.npy', [0, 1, 0, 1]);
    const two = images(4, 4, 4, 2);
    refuses(() => loadDataset(`npy:${two},${l}`), 'NPY_BAD_CHANNELS', { file: two, message: /has 2 channels, expected 1 or 3/ });
    const rgba = images(4, 4, 4, 4);
    refuses(() => loadDataset(`npy:${rgba},${l}`), 'NPY_BAD_CHANNELS', { file: rgba, message: /RGBA is not supported: drop the alpha channel/ });
    const nchw = images(4, 3, 8, 8);
    refuses(() => loadDataset(`npy:${nchw},${l}`), 'NPY_BAD_CHANNELS', { message: /channels-first/ });
    assert.equal(loadDataset(`npy:${images(4, 4, 4, 3)},${l}`).train.channels, 3);
  });
  it('refuses a dataset with one class', () => {
    const l = labelsI32('one.npy', [0, 0, 0, 0]);
    refuses(() => loadDataset(`npy:${images(4)},${l}`), 'DATA_ONE_CLASS', { file: l });
    const root = join(dir, 'oneclass');
    tree(root, { cat: 5 });
    refuses(() => loadDataset(`folder:${root}`), 'DATA_ONE_CLASS', { file: root, message: /'cat'/ });
  });
  it('folder: train/ and val/ must have the same classes; a lone train/ is refused', () => {
    const root = join(dir, 'mismatch');
    tree(join(root, 'train'), { cat: 2, dog: 2, emu: 2 });
    tree(join(root, 'val'), { cat: 1, dog: 1, fox: 1 });
    refuses(() => loadDataset(`folder:${root}`), 'DATA_CLASS_MISMATCH', { file: join(root, 'val'), message: /only in .*train: emu; only in .*val: fox/ });
    const lone = join(dir, 'lone');
    tree(join(lone, 'train'), { cat: 2, dog: 2 });
    refuses(() => loadDataset(`folder:${lone}`), 'FOLDER_SPLIT_INCOMPLETE', { file: lone, message: /has train\/ but no val\/ or test\// });
    const sizes = join(dir, 'sizes');
    tree(join(sizes, 'train'), { cat: 2, dog: 2 }, 4);
    tree(join(sizes, 'test'), { cat: 1, dog: 1 }, 6);
    refuses(() => loadDataset(`folder:${sizes}`), 'DATA_SIZE_MISMATCH', { message: /test images are 6×6×3, the training images 4×4×3/ });
  });
  it('folder: an image of another size is refused, naming the file', () => {
    const root = join(dir, 'mixed');
    tree(root, { cat: 2, dog: 2 });
    png(join(root, 'dog', '9.png'), 5, 4);
    refuses(() => loadDataset(`folder:${root}`), 'IMAGE_SIZE', { file: join(root, 'dog', '9.png'), message: /5×4, expected 4×4/ });
  });
  it('checkTrainable: minimum side, one batch, one image per class; returns the per-class counts', () => {
    const set: ImageSet = { name: 'toy', images: new Uint8Array(6 * 16), labels: Int32Array.from([0, 1, 2, 0, 1, 2]), height: 4, width: 4, channels: 1, numClasses: 3, classNames: ['a', 'b', 'c'] };
    assert.deepEqual(checkTrainable(set, { minSide: 4, batch: 6 }), [2, 2, 2]);
    refuses(() => checkTrainable(set, { minSide: 8 }), 'DATA_TOO_SMALL', { message: /images are 4×4, the model needs at least 8×8/ });
    refuses(() => checkTrainable(set, { batch: 32 }), 'DATA_TOO_FEW', { field: 'batch', message: /6 training images, fewer than one batch of 32/ });
    refuses(() => checkTrainable({ ...set, numClasses: 10, classNames: undefined }), 'DATA_TOO_FEW', { message: /6 training images for 10 classes/ });
    refuses(() => checkTrainable({ ...set, labels: Int32Array.from([0, 1, 0, 1, 0, 1]) }), 'DATA_CLASS_EMPTY', { message: /class c has no training images \(per class: a: 3, b: 3, c: 0\)/ });
    refuses(() => checkTrainable({ ...set, labels: new Int32Array(6) }), 'DATA_ONE_CLASS');
  });
});

describe('filesystem errors name the path (issue 9, raw fs errors)', () => {
  const l = labelsI32('fs-l.npy', [0, 1, 0, 1]);
  it('a directory where a file is expected: FS_EISDIR', () => {
    refuses(() => loadDataset(`npy:${dir},${l}`), 'FS_EISDIR', { file: dir, message: /is a directory, a file was expected/ });
    const cd = join(dir, 'cifar-dir');
    mkdirSync(join(cd, 'data_batch_1.bin'), { recursive: true });
    for (const n of ['data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) writeFileSync(join(cd, `${n}.bin`), new Uint8Array(3073));
    refuses(() => loadDataset(`cifar10:${cd}`), 'FS_EISDIR', { file: join(cd, 'data_batch_1.bin') });
    const md = join(dir, 'idx-dir');
    mkdirSync(join(md, 'train-images-idx3-ubyte'), { recursive: true });
    refuses(() => loadDataset(`mnist-idx:${md}`), 'FS_EISDIR', { file: join(md, 'train-images-idx3-ubyte') });
    const root = join(dir, 'pngdir');
    tree(root, { cat: 2, dog: 2 });
    mkdirSync(join(root, 'dog', 'z.png'));
    refuses(() => loadDataset(`folder:${root}`), 'FS_EISDIR', { file: join(root, 'dog', 'z.png') });
  });
  it('missing files and directories', () => {
    refuses(() => loadDataset(`npy:${join(dir, 'nope.npy')},${l}`), 'FS_ENOENT', { file: join(dir, 'nope.npy') });
    refuses(() => loadDataset(`folder:${join(dir, 'nope')}`), 'FOLDER_MISSING', { file: join(dir, 'nope') });
    refuses(() => loadDataset(`mnist-idx:${join(dir, 'nope')}`), 'DATA_MISSING', { file: join(dir, 'nope') });
    refuses(() => loadDataset(`cifar100:${join(dir, 'nope')}`), 'DATA_MISSING', { file: join(dir, 'nope') });
  });
  it('permission denied: FS_EACCES naming the file', () => {
    const f = join(dir, 'secret.npy');
    writeFileSync(f, encodeNpy(new Uint8Array(4 * 16), [4, 4, 4], 'uint8'));
    chmodSync(f, 0o000);
    chmodSync(dir, 0o755);
    // root reads anything: check as an unprivileged user then
    const code = `${process.getuid?.() === 0 ? 'process.setuid(65534);' : ''}
      import('${new URL('../../src/data/sources.ts', import.meta.url).href}').then((m) => {
        try { m.loadDataset(${JSON.stringify(`npy:${f},${l}`)}); console.log('LOADED'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, file: e.file, message: e.message })); }
      });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { code: string; file: string; message: string };
    assert.deepEqual([out.code, out.file], ['FS_EACCES', f]);
    assert.match(out.message, /permission denied/);
  });
});
